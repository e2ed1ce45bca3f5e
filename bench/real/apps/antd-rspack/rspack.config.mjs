// A React + antd admin app as rspack users configure it (rspack's React
// template): builtin:swc-loader for JSX, two entries, a vendor split, rspack's
// default SWC and Lightning CSS minimizers in production mode.
// OUT: where the output goes. JOBSLOT_OFF: the baseline, without the plugin.
import { resolve } from 'node:path';
import { JobslotPlugin } from '@jobslot/webpack-plugin';

export default {
  mode: 'production',
  context: import.meta.dirname,
  entry: { admin: './src/admin.jsx', reports: './src/reports.jsx' },
  output: { path: resolve(process.env.OUT ?? 'dist'), filename: '[name].[contenthash].js', clean: true },
  resolve: { extensions: ['.js', '.jsx'] },
  module: {
    rules: [
      {
        test: /\.jsx$/,
        use: {
          loader: 'builtin:swc-loader',
          options: { jsc: { parser: { syntax: 'ecmascript', jsx: true }, transform: { react: { runtime: 'automatic' } } } },
        },
        type: 'javascript/auto',
      },
    ],
  },
  optimization: { splitChunks: { chunks: 'all' } },
  plugins: process.env.JOBSLOT_OFF ? [] : [new JobslotPlugin()],
  performance: { hints: false },
  stats: 'errors-warnings',
};
