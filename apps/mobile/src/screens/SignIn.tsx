// Signing in to the active server: with a password, or with a six-digit code emailed to the
// person (whose link, opened on the phone, signs in through `posey://auth-callback` instead).

import { useState } from 'react';
import { ScrollView } from 'react-native';

import { AUTH_CALLBACK } from '../lib/deepLink';
import type { Connection } from '../lib/connection';
import { Button, ErrorText, Field, Notice, Title, message, styles } from '../ui';

type Mode = 'password' | 'code';

export function SignIn(props: { connection: Connection; onSignedIn: () => void; onAddServer: () => void }) {
  const { auth, server } = props.connection;
  const [mode, setMode] = useState<Mode>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [codeSent, setCodeSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  const signInWithPassword = () =>
    run(async () => {
      await auth.signInWithPassword({ email: email.trim(), password });
      props.onSignedIn();
    });
  const sendCode = () =>
    run(async () => {
      await auth.signInWithOtp({ email: email.trim(), createUser: false, redirectTo: AUTH_CALLBACK });
      setCodeSent(true);
    });
  const verifyCode = () =>
    run(async () => {
      await auth.verifyOtp({ email: email.trim(), token: code.trim(), type: 'email' });
      props.onSignedIn();
    });

  return (
    <ScrollView contentContainerStyle={styles.pad} keyboardShouldPersistTaps="handled">
      <Title>Sign in to {server.name}</Title>
      <Field label="Email" value={email} onChangeText={setEmail} autoCapitalize="none" autoCorrect={false} keyboardType="email-address" autoComplete="email" textContentType="username" />
      {mode === 'password' ? (
        <>
          <Field label="Password" value={password} onChangeText={setPassword} secureTextEntry autoComplete="current-password" textContentType="password" onSubmitEditing={() => void signInWithPassword()} />
          <ErrorText error={error} />
          <Button title="Sign in" onPress={() => void signInWithPassword()} busy={busy} disabled={!email || !password} />
          <Button title="Email me a code instead" kind="plain" onPress={() => { setMode('code'); setError(null); }} />
        </>
      ) : (
        <>
          {codeSent && (
            <>
              <Notice>We emailed a six-digit code to {email.trim()}. Enter it here, or open the email’s link on this phone.</Notice>
              <Field label="Code" value={code} onChangeText={setCode} keyboardType="number-pad" autoComplete="one-time-code" textContentType="oneTimeCode" maxLength={6} onSubmitEditing={() => void verifyCode()} />
            </>
          )}
          <ErrorText error={error} />
          {codeSent ? (
            <Button title="Sign in with the code" onPress={() => void verifyCode()} busy={busy} disabled={code.trim().length !== 6} />
          ) : (
            <Button title="Email me a code" onPress={() => void sendCode()} busy={busy} disabled={!email} />
          )}
          <Button title="Use my password instead" kind="plain" onPress={() => { setMode('password'); setCodeSent(false); setError(null); }} />
        </>
      )}
      <Button title="Add a server" kind="plain" onPress={props.onAddServer} />
    </ScrollView>
  );
}
