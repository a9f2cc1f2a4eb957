// Adding a server: a name and its address, from which the services' URLs at `posey up`'s ports
// are filled in; each URL can be changed (a server behind a reverse proxy, say).

import { useState } from 'react';
import { ScrollView } from 'react-native';

import { type Server, newServerId, normalizeUrl, urlsFor } from '../lib/servers';
import { Button, ErrorText, Field, Notice, Title, message, styles } from '../ui';

export function ServerForm(props: { onSave: (server: Server) => void; onCancel?: () => void; first: boolean }) {
  const [name, setName] = useState(props.first ? 'Home' : '');
  const [address, setAddress] = useState('');
  const [authUrl, setAuthUrl] = useState('');
  const [agentsUrl, setAgentsUrl] = useState('');
  const [cronUrl, setCronUrl] = useState('');
  const [error, setError] = useState<string | null>(null);

  function fill(value: string) {
    setAddress(value);
    try {
      const urls = urlsFor(value);
      setAuthUrl(urls.authUrl);
      setAgentsUrl(urls.agentsUrl);
      setCronUrl(urls.cronUrl);
    } catch {
      // Still being typed.
    }
  }

  function save() {
    setError(null);
    try {
      if (!name.trim()) throw new Error('Name the server (say, Home or Work).');
      props.onSave({
        id: newServerId(),
        name: name.trim(),
        authUrl: normalizeUrl(authUrl, 'Auth URL'),
        agentsUrl: normalizeUrl(agentsUrl, 'Agents URL'),
        cronUrl: normalizeUrl(cronUrl, 'Cron URL'),
      });
    } catch (e) {
      setError(message(e));
    }
  }

  return (
    <ScrollView contentContainerStyle={styles.pad} keyboardShouldPersistTaps="handled">
      <Title>{props.first ? 'Connect to your Posey' : 'Add a server'}</Title>
      <Notice>The address of the machine that runs Posey; the services’ URLs are filled in from it.</Notice>
      <Field label="Server name" value={name} onChangeText={setName} placeholder="Home" autoCapitalize="words" />
      <Field label="Address" value={address} onChangeText={fill} placeholder="posey.local" autoCapitalize="none" autoCorrect={false} keyboardType="url" />
      <Field label="Auth URL" value={authUrl} onChangeText={setAuthUrl} autoCapitalize="none" autoCorrect={false} keyboardType="url" />
      <Field label="Agents URL" value={agentsUrl} onChangeText={setAgentsUrl} autoCapitalize="none" autoCorrect={false} keyboardType="url" />
      <Field label="Cron URL" value={cronUrl} onChangeText={setCronUrl} autoCapitalize="none" autoCorrect={false} keyboardType="url" />
      <ErrorText error={error} />
      <Button title="Save server" onPress={save} />
      {props.onCancel && <Button title="Cancel" kind="plain" onPress={props.onCancel} />}
    </ScrollView>
  );
}
