/** The console's entry point (bundled to /assets/app.js by scripts/build-web.ts). */
import { boot } from './app.ts';

boot(document.getElementById('root') as HTMLElement);
