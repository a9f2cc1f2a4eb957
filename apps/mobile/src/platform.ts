// What differs between the phone and the web export: where the session is kept (the Keychain or
// Keystore through expo-secure-store; in memory on the web, where no such store exists), the
// plain key-value store (AsyncStorage), and the fetch the chat stream reads from (Expo's
// streaming fetch on native; the browser's own on the web).

import AsyncStorage from '@react-native-async-storage/async-storage';
import { fetch as expoFetch } from 'expo/fetch';
import * as LocalAuthentication from 'expo-local-authentication';
import * as SecureStore from 'expo-secure-store';
import { Platform as RN } from 'react-native';

import type { Platform } from './lib/connection';
import { memorySecureStore } from './lib/secureSession';

export const isWeb = RN.OS === 'web';

export const platform: Platform = {
  secure: isWeb
    ? memorySecureStore()
    : {
        getItemAsync: (key) => SecureStore.getItemAsync(key),
        setItemAsync: (key, value) => SecureStore.setItemAsync(key, value, { keychainAccessible: SecureStore.AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY }),
        deleteItemAsync: (key) => SecureStore.deleteItemAsync(key),
      },
  kv: AsyncStorage,
  ...(isWeb ? {} : { streamFetch: expoFetch }),
};

/** Whether the device can unlock with a fingerprint or face, and has one enrolled. */
export async function biometricAvailable(): Promise<boolean> {
  if (isWeb) return false;
  try {
    return (await LocalAuthentication.hasHardwareAsync()) && (await LocalAuthentication.isEnrolledAsync());
  } catch {
    return false;
  }
}

/** Asks for the fingerprint or face; true when it matched. */
export async function biometricUnlock(): Promise<boolean> {
  const result = await LocalAuthentication.authenticateAsync({ promptMessage: 'Unlock Posey', cancelLabel: 'Use password' });
  return result.success;
}
