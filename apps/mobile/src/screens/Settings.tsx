// Settings: the servers (switch between home and work, add one, remove one), the biometric
// lock, and signing out of the active server.

import { Switch, ScrollView, Text, View } from 'react-native';

import type { Server, ServerList } from '../lib/servers';
import { Button, Notice, Title, colors, styles } from '../ui';

export function Settings(props: {
  servers: ServerList;
  email: string | null;
  biometric: { available: boolean; on: boolean; set: (on: boolean) => void };
  onSwitch: (server: Server) => void;
  onAdd: () => void;
  onRemove: (server: Server) => void;
  onSignOut: () => void;
}) {
  const active = props.servers.servers.find((s) => s.id === props.servers.activeId);
  return (
    <ScrollView contentContainerStyle={styles.pad}>
      <Title>Settings</Title>
      {active && (
        <View style={styles.card}>
          <Text style={{ fontSize: 16, color: colors.text }}>
            {props.email ? `Signed in to ${active.name} as ${props.email}` : `Not signed in to ${active.name}`}
          </Text>
          {props.email && <Button title="Sign out" kind="danger" onPress={props.onSignOut} />}
        </View>
      )}
      <Text style={[styles.label, { marginTop: 8 }]}>Servers</Text>
      {props.servers.servers.map((s) => (
        <View key={s.id} testID="server" style={[styles.card, styles.row]}>
          <View style={{ flex: 1 }}>
            <Text style={{ fontSize: 16, color: colors.text, fontWeight: s.id === active?.id ? '600' : '400' }}>
              {s.name}
              {s.id === active?.id ? ' (in use)' : ''}
            </Text>
            <Text style={styles.notice} numberOfLines={1}>
              {s.authUrl}
            </Text>
          </View>
          {s.id !== active?.id && <Button title="Use" kind="plain" label={`Use ${s.name}`} onPress={() => props.onSwitch(s)} />}
          <Button title="Remove" kind="plain" label={`Remove ${s.name}`} onPress={() => props.onRemove(s)} />
        </View>
      ))}
      <Button title="Add a server" kind="plain" onPress={props.onAdd} />
      <Text style={[styles.label, { marginTop: 8 }]}>Security</Text>
      <View style={[styles.card, styles.row]}>
        <Text style={{ flex: 1, color: colors.text }}>Unlock with fingerprint or face</Text>
        <Switch
          accessibilityLabel="Unlock with fingerprint or face"
          value={props.biometric.on}
          disabled={!props.biometric.available}
          onValueChange={props.biometric.set}
        />
      </View>
      {!props.biometric.available && <Notice>This device has no fingerprint or face enrolled (or this is the web).</Notice>}
    </ScrollView>
  );
}
