// Merged by @jupyterlab/builder into its federated-extension config.
// plotly.js-dist-min is already minified: skip parsing it and skip re-minifying the output
// (Terser on 4.6 MB of plotly took minutes and gained nothing). Our own code is ~40 KB.
module.exports = {
  module: { noParse: /plotly\.js-dist-min[\\/]plotly\.min\.js$/ },
  optimization: { minimize: false },
  // plotly is one 4.6 MB chunk on purpose: loaded lazily (after the counts and cards paint) and
  // preloaded when JupyterLab is idle, so webpack's 244 KiB size advice does not apply.
  performance: { hints: false },
};
