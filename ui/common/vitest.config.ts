import { defineConfig } from 'vitest/config';

// The shared code is plain TypeScript under test (no DOM, no Svelte compile needed).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
