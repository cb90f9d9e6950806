import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('svelte/compiler').CompileOptions & Record<string, unknown>} */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Component CSS is emitted as files (no <style> injected at run time: the CSP forbids it).
    css: 'external',
  },
};
