// A production build with three entries: webpack's default minimizer for the
// JS, css-minimizer for the CSS, both sized by @jobslot/webpack-plugin to the
// job slots this build holds.
const path = require('node:path');
const MiniCssExtractPlugin = require('mini-css-extract-plugin');
const CssMinimizerPlugin = require('css-minimizer-webpack-plugin');
const { JobslotPlugin } = require('@jobslot/webpack-plugin');

module.exports = {
  mode: 'production',
  context: __dirname,
  entry: { home: './src/home.js', report: './src/report.js', settings: './src/settings.js' },
  // DIST: where to build (the demo builds several copies at once).
  output: { path: path.resolve(__dirname, process.env.DIST ?? 'dist'), filename: '[name].js', clean: true },
  module: { rules: [{ test: /\.css$/, use: [MiniCssExtractPlugin.loader, 'css-loader'] }] },
  optimization: { minimizer: ['...', new CssMinimizerPlugin()] },
  // JOBSLOT_OFF: the benchmark's baseline, the same build without jobslot.
  plugins: [new MiniCssExtractPlugin(), ...(process.env.JOBSLOT_OFF ? [] : [new JobslotPlugin()])],
  stats: 'errors-warnings',
};
