// Metro as Expo sets it up, also watching the SDK, which `@posey/sdk` links to (file:../sdk):
// the bundle takes its built dist/ and the SDK's own dependencies from there.
const path = require('node:path');
const { getDefaultConfig } = require('expo/metro-config');

const config = getDefaultConfig(__dirname);
const sdk = path.resolve(__dirname, '../sdk');
config.watchFolders = [...(config.watchFolders ?? []), sdk];
config.resolver.nodeModulesPaths = [path.resolve(__dirname, 'node_modules'), path.join(sdk, 'node_modules')];

module.exports = config;
