// Reminders: the quick "remind me" composer (one line of plain words, read on the phone and
// shown before it is sent) and the person's reminders at cron, soonest first.

import { type CronComponents, deviceTimeZone, parseReminder, reminderTask, unwrap } from '@posey/sdk';
import { useCallback, useState } from 'react';
import { FlatList, KeyboardAvoidingView, Platform, RefreshControl, Text, View } from 'react-native';

import type { Connection } from '../lib/connection';
import { Button, ErrorText, Field, Notice, Title, colors, message, styles } from '../ui';
import { useLoad } from '../useLoad';

type Task = CronComponents['schemas']['TaskView'];

function soonest(a: Task, b: Task): number {
  return (a.next_run_at ?? '9999').localeCompare(b.next_run_at ?? '9999');
}

export function Reminders(props: { connection: Connection }) {
  const { connection } = props;
  const [line, setLine] = useState('');
  const [busy, setBusy] = useState(false);
  const tasks = useLoad(useCallback(async () => {
    const { tasks: list } = await unwrap(connection.cron.GET('/v1/tasks', {}));
    return list.filter((t) => t.kind === 'reminder').sort(soonest);
  }, [connection]));

  let preview: string | null = null;
  if (line.trim()) {
    try {
      const parsed = parseReminder(line);
      preview = `“${parsed.title}” on ${parsed.at.toLocaleString()}`;
    } catch (e) {
      preview = message(e);
    }
  }

  async function create() {
    tasks.setError(null);
    setBusy(true);
    try {
      const task = await unwrap(connection.cron.POST('/v1/tasks', { body: reminderTask(parseReminder(line), deviceTimeZone()) as never }));
      setLine('');
      tasks.update((t = []) => [...t.filter((x) => x.id !== task.id), task].sort(soonest));
    } catch (e) {
      tasks.setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove(id: string) {
    try {
      await unwrap(connection.cron.DELETE('/v1/tasks/{id}', { params: { path: { id } } }));
      tasks.update((t = []) => t.filter((x) => x.id !== id));
    } catch (e) {
      tasks.setError(message(e));
    }
  }

  return (
    <KeyboardAvoidingView style={styles.screen} behavior={Platform.OS === 'ios' ? 'padding' : 'height'}>
      <FlatList<Task>
        data={tasks.data ?? []}
        keyExtractor={(t) => t.id}
        keyboardShouldPersistTaps="handled"
        refreshControl={<RefreshControl refreshing={tasks.loading} onRefresh={tasks.reload} />}
        contentContainerStyle={styles.pad}
        ListHeaderComponent={
          <View style={{ gap: 12 }}>
            <Title>Reminders</Title>
            <Field label="Remind me" value={line} onChangeText={setLine} placeholder="in 10 minutes call Ada" onSubmitEditing={() => void create()} />
            {preview && <Notice>{preview}</Notice>}
            <ErrorText error={tasks.error} />
            <Button title="Add reminder" onPress={() => void create()} busy={busy} disabled={!line.trim()} />
          </View>
        }
        ListEmptyComponent={tasks.loading ? null : <Notice>No reminders.</Notice>}
        renderItem={({ item }) => (
          <View testID="reminder" style={[styles.card, styles.row, { justifyContent: 'space-between' }]}>
            <View style={{ flex: 1 }}>
              <Text style={{ fontSize: 16, color: colors.text }}>{item.name}</Text>
              <Text style={styles.notice}>
                {item.next_run_at ? new Date(item.next_run_at).toLocaleString() : 'done'}
                {item.paused ? ' (paused)' : ''}
              </Text>
            </View>
            <Button title="Delete" kind="plain" label={`Delete ${item.name}`} onPress={() => void remove(item.id)} />
          </View>
        )}
      />
    </KeyboardAvoidingView>
  );
}
