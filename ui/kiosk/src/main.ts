import { mount } from 'svelte';
import '@vestibule/common/tokens.css';
import '@vestibule/common/base.css';
import './app.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');

export default mount(App, { target });
