// The console's entry: the shared design tokens, its own styles, and the app.
import { mount } from 'svelte';
import '@vestibule/common/tokens.css';
import './app.css';
import App from './App.svelte';
import { interceptLinks } from './lib/router.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
interceptLinks();

export default mount(App, { target });
