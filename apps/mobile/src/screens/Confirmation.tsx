// An action a tool asked the person to confirm (agents' /v1/actions): nothing runs unless they
// approve it before it expires; denying it means it never runs.

import { type Action, PoseyError, confirmAction, denyAction } from '@posey/sdk';
import { useState } from 'react';
import { Text, View } from 'react-native';

import type { Connection } from '../lib/connection';
import { Button, ErrorText, colors, message, styles } from '../ui';

export interface Pending {
  action_id: string;
  summary: string;
  reason: string;
  expires_at: string;
}

const OUTCOME: Record<string, string> = {
  denied: 'Denied: it will not happen.',
  done: 'Approved: done.',
  running: 'Approved: running.',
  failed: 'Approved, but it failed.',
};

export function fromAction(a: Action): Pending {
  return { action_id: a.id, summary: a.summary, reason: a.reason, expires_at: a.expires_at };
}

export function ConfirmationCard(props: { connection: Connection; pending: Pending; onAnswered?: (status: string) => void }) {
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function answer(yes: boolean) {
    setBusy(true);
    setError(null);
    try {
      const done = yes
        ? await confirmAction(props.connection.agents, props.pending.action_id)
        : await denyAction(props.connection.agents, props.pending.action_id);
      setStatus(done.status);
      props.onAnswered?.(done.status);
    } catch (e) {
      setError(e instanceof PoseyError && e.status === 409 ? 'Already answered, or expired.' : message(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View testID="confirmation" style={[styles.card, { borderColor: colors.primary }]}>
      <Text style={{ fontWeight: '600', color: colors.text }}>Posey asks: {props.pending.summary}</Text>
      <Text style={styles.notice}>{props.pending.reason}</Text>
      {status ? (
        <Text style={styles.notice}>{OUTCOME[status] ?? `Approved (${status}).`}</Text>
      ) : (
        <View style={styles.row}>
          <Button title="Approve" onPress={() => void answer(true)} busy={busy} />
          <Button title="Deny" kind="danger" onPress={() => void answer(false)} disabled={busy} />
        </View>
      )}
      <ErrorText error={error} />
    </View>
  );
}
