// An rxjs app styled with bootstrap's Sass, as webpack users configure it:
// babel-loader (preset-env) for the app's code, sass-loader + css-loader +
// mini-css-extract-plugin for the styles, terser (webpack's default) and
// css-minimizer for the output.
// OUT: where the output goes. JOBSLOT_OFF: the baseline, without the plugin.
const path = require('node:path');
const MiniCssExtractPlugin = require('mini-css-extract-plugin');
const CssMinimizerPlugin = require('css-minimizer-webpack-plugin');
const { JobslotPlugin } = require('@jobslot/webpack-plugin');

module.exports = {
  mode: 'production',
  context: __dirname,
  entry: {
    app: ['./src/app.js', './src/styles.scss'],
    admin: './src/admin.js',
  },
  output: { path: path.resolve(process.env.OUT ?? 'dist'), filename: '[name].[contenthash].js', clean: true },
  module: {
    rules: [
      {
        test: /\.js$/,
        exclude: /node_modules/,
        use: { loader: 'babel-loader', options: { presets: [['@babel/preset-env', { targets: 'defaults' }]] } },
      },
      {
        test: /\.scss$/,
        use: [MiniCssExtractPlugin.loader, 'css-loader', { loader: 'sass-loader', options: { sassOptions: { quietDeps: true, silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'if-function'] } } }],
      },
    ],
  },
  // cssnano's svgo cannot parse bootstrap's url-encoded SVG icons (a warning each): off, as bootstrap users do.
  optimization: { minimizer: ['...', new CssMinimizerPlugin({ minimizerOptions: { preset: ['default', { svgo: false }] } })], splitChunks: { chunks: 'all' } },
  plugins: [new MiniCssExtractPlugin({ filename: '[name].[contenthash].css' }), ...(process.env.JOBSLOT_OFF ? [] : [new JobslotPlugin()])],
  performance: { hints: false },
  stats: 'errors-warnings',
};
