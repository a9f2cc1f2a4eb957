// The biometric lock: with it on, the app asks for the fingerprint or face before it shows
// anything. The session itself stays in the secure store; failing here only keeps it closed.

import { useCallback, useEffect, useState } from 'react';
import { View } from 'react-native';

import { biometricUnlock } from '../platform';
import { Button, ErrorText, Notice, Title, message, styles } from '../ui';

export function Unlock(props: { onUnlocked: () => void; onSignOut: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const { onUnlocked } = props;
  const ask = useCallback(async () => {
    setError(null);
    try {
      if (await biometricUnlock()) onUnlocked();
      else setError('Not recognised. Try again, or sign out.');
    } catch (e) {
      setError(message(e));
    }
  }, [onUnlocked]);
  // Asked once as the lock shows; the button asks again.
  useEffect(() => {
    biometricUnlock().then(
      (ok) => (ok ? onUnlocked() : setError('Not recognised. Try again, or sign out.')),
      (e: unknown) => setError(message(e)),
    );
  }, [onUnlocked]);
  return (
    <View style={styles.pad}>
      <Title>Posey is locked</Title>
      <Notice>Unlock with your fingerprint or face.</Notice>
      <ErrorText error={error} />
      <Button title="Unlock" onPress={() => void ask()} />
      <Button title="Sign out" kind="plain" onPress={props.onSignOut} />
    </View>
  );
}
