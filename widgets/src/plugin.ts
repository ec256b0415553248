/**
 * JupyterLab 4 plugin: registers the explorer's model and view with the ipywidgets manager.
 * The widget code (and plotly, inside it) loads lazily the first time an explorer is displayed.
 */
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { MODULE_NAME, MODULE_VERSION } from './version';

// A structural plugin type: enough for JupyterLab's loader, without pulling in @jupyterlab/application.
interface Plugin {
  id: string;
  description?: string;
  requires: unknown[];
  autoStart: boolean;
  activate: (app: unknown, registry: IJupyterWidgetRegistry) => void;
}

const plugin: Plugin = {
  id: 'neardup-widgets:plugin',
  description: 'The neardup duplicate explorer widget.',
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate: (_app, registry) => {
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: async () => (await import('./widget')) as any,
    });
    // Plotly is 4.6 MB of script: fetch and parse it while JupyterLab is idle, so the explorer's
    // histogram appears with the rest of the widget instead of seconds later.
    const preload = () => void import('./histogram').then((m) => m.loadPlotly()).catch(() => undefined);
    const idle = (window as any).requestIdleCallback as ((cb: () => void, o: object) => void) | undefined;
    if (idle) idle(preload, { timeout: 15000 });
    else setTimeout(preload, 5000);
  },
};

export default plugin;
