// Memory: what the companion remembers about the person, newest change first; they can add a
// memory of their own and forget one for good.

import { type AgentsComponents, unwrap } from '@posey/sdk';
import { useCallback, useState } from 'react';
import { FlatList, KeyboardAvoidingView, Platform, RefreshControl, Text, View } from 'react-native';

import type { Connection } from '../lib/connection';
import { Button, ErrorText, Field, Notice, Title, colors, message, styles } from '../ui';
import { useLoad } from '../useLoad';

type Memory = AgentsComponents['schemas']['Memory'];

export function MemoryScreen(props: { connection: Connection }) {
  const { connection } = props;
  const [text, setText] = useState('');
  const memories = useLoad(useCallback(async () => (await unwrap(connection.agents.GET('/v1/memories', {}))).memories, [connection]));

  async function add() {
    if (!text.trim()) return;
    try {
      const memory = await unwrap(connection.agents.POST('/v1/memories', { body: { text: text.trim(), kind: 'fact' } }));
      setText('');
      memories.update((m = []) => [memory, ...m.filter((x) => x.id !== memory.id)]);
    } catch (e) {
      memories.setError(message(e));
    }
  }

  async function forget(id: string) {
    try {
      await unwrap(connection.agents.DELETE('/v1/memories/{id}', { params: { path: { id } } }));
      memories.update((m = []) => m.filter((x) => x.id !== id));
    } catch (e) {
      memories.setError(message(e));
    }
  }

  return (
    <KeyboardAvoidingView style={styles.screen} behavior={Platform.OS === 'ios' ? 'padding' : 'height'}>
      <FlatList<Memory>
        data={memories.data ?? []}
        keyExtractor={(m) => m.id}
        keyboardShouldPersistTaps="handled"
        refreshControl={<RefreshControl refreshing={memories.loading} onRefresh={memories.reload} />}
        contentContainerStyle={styles.pad}
        ListHeaderComponent={
          <View style={{ gap: 12 }}>
            <Title>Memory</Title>
            <Field label="Something to remember" value={text} onChangeText={setText} placeholder="I am allergic to peanuts" onSubmitEditing={() => void add()} />
            <Button title="Remember" onPress={() => void add()} disabled={!text.trim()} />
            <ErrorText error={memories.error} />
          </View>
        }
        ListEmptyComponent={memories.loading ? null : <Notice>Nothing remembered yet.</Notice>}
        renderItem={({ item }) => (
          <View testID="memory" style={[styles.card, styles.row]}>
            <View style={{ flex: 1 }}>
              <Text style={{ fontSize: 16, color: colors.text }}>{item.text}</Text>
              <Text style={styles.notice}>
                {item.kind} · {item.origin}
              </Text>
            </View>
            <Button title="Forget" kind="plain" label={`Forget ${item.text}`} onPress={() => void forget(item.id)} />
          </View>
        )}
      />
    </KeyboardAvoidingView>
  );
}
