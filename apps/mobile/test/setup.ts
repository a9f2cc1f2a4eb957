// AsyncStorage's own in-memory implementation, as its authors ship it for tests (no device here).
jest.mock('@react-native-async-storage/async-storage', () => require('@react-native-async-storage/async-storage/jest/async-storage-mock'));
// The safe-area library's mock, from the library: no device insets to measure here.
jest.mock('react-native-safe-area-context', () => require('react-native-safe-area-context/jest/mock').default);
