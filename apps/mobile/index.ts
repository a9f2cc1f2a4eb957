// The app's entry: Expo registers the root component for native and for the web export.
import { registerRootComponent } from 'expo';

import App from './src/App';

registerRootComponent(App);
