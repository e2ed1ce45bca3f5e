// A React calendar on date-fns and lodash-es, as webpack users configure it:
// babel-loader (preset-env + preset-react) for the app's code, two entries,
// terser (webpack's default) for the output, a vendor chunk.
// OUT: where the output goes. JOBSLOT_OFF: the baseline, without the plugin.
const path = require('node:path');
const { JobslotPlugin } = require('@jobslot/webpack-plugin');

module.exports = {
  mode: 'production',
  context: __dirname,
  entry: { calendar: './src/calendar.jsx', agenda: './src/agenda.jsx' },
  output: { path: path.resolve(process.env.OUT ?? 'dist'), filename: '[name].[contenthash].js', clean: true },
  resolve: { extensions: ['.js', '.jsx'] },
  module: {
    rules: [
      {
        test: /\.jsx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'babel-loader',
          options: { presets: [['@babel/preset-env', { targets: 'defaults' }], ['@babel/preset-react', { runtime: 'automatic' }]] },
        },
      },
    ],
  },
  optimization: { splitChunks: { chunks: 'all' } },
  plugins: process.env.JOBSLOT_OFF ? [] : [new JobslotPlugin()],
  performance: { hints: false },
  stats: 'errors-warnings',
};
