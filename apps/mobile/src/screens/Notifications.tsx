// Notifications: what cron delivered in-app (reminders when they fall due, among others),
// newest first, checked again every 30 seconds while the screen is open.

import { type CronComponents, unwrap } from '@posey/sdk';
import { useCallback, useEffect } from 'react';
import { FlatList, RefreshControl, Text, View } from 'react-native';

import type { Connection } from '../lib/connection';
import { Button, ErrorText, Notice, Title, colors, message, styles } from '../ui';
import { useLoad } from '../useLoad';

type Notification = CronComponents['schemas']['NotificationView'];

export function Notifications(props: { connection: Connection; onUnread?: (count: number) => void }) {
  const { connection, onUnread } = props;
  const items = useLoad(useCallback(async () => (await unwrap(connection.cron.GET('/v1/notifications', {}))).notifications, [connection]));
  const { reload, data } = items;

  useEffect(() => {
    const timer = setInterval(reload, 30_000);
    return () => clearInterval(timer);
  }, [reload]);
  useEffect(() => {
    if (data) onUnread?.(data.filter((n) => !n.read_at).length);
  }, [data, onUnread]);

  async function readAll() {
    try {
      await unwrap(connection.cron.POST('/v1/notifications/read-all', {}));
      reload();
    } catch (e) {
      items.setError(message(e));
    }
  }

  return (
    <FlatList<Notification>
      data={data ?? []}
      keyExtractor={(n) => n.id}
      refreshControl={<RefreshControl refreshing={items.loading} onRefresh={reload} />}
      contentContainerStyle={styles.pad}
      ListHeaderComponent={
        <View style={{ gap: 12 }}>
          <View style={[styles.row, { justifyContent: 'space-between' }]}>
            <Title>Notifications</Title>
            <Button title="Mark all read" kind="plain" onPress={() => void readAll()} />
          </View>
          <ErrorText error={items.error} />
        </View>
      }
      ListEmptyComponent={items.loading ? null : <Notice>Nothing yet.</Notice>}
      renderItem={({ item }) => (
        <View testID="notification" style={[styles.card, !item.read_at && { borderColor: colors.primary }]}>
          <Text style={{ fontSize: 16, fontWeight: item.read_at ? '400' : '600', color: colors.text }}>{item.title}</Text>
          {!!item.body && <Text style={{ color: colors.text }}>{item.body}</Text>}
          <Text style={styles.notice}>{new Date(item.created_at).toLocaleString()}</Text>
        </View>
      )}
    />
  );
}
