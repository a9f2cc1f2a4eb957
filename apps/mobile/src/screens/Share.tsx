// What another app shared with Posey (the share sheet's "Posey"): text starts a chat or becomes
// a memory, a document is added to the person's documents. Native only: the web has no share
// target, and expo-sharing's incoming payloads exist only on iOS and Android.

import { unwrap } from '@posey/sdk';
import { useIncomingShare } from 'expo-sharing';
import { useState } from 'react';
import { ScrollView, Text, View } from 'react-native';

import type { Connection } from '../lib/connection';
import { type Payload, type Shared, chatAbout, sortShared, uploadDocument } from '../lib/share';
import { Button, ErrorText, Notice, Title, colors, message, styles } from '../ui';

export function IncomingShare(props: { connection: Connection; onChat: (draft: string) => void }) {
  const share = useIncomingShare();
  // The API is experimental: anything but a list is taken as nothing shared.
  const resolved: Payload[] = Array.isArray(share.resolvedSharedPayloads) ? share.resolvedSharedPayloads : [];
  const payloads: Payload[] = resolved.length > 0 ? resolved : Array.isArray(share.sharedPayloads) ? share.sharedPayloads : [];
  if (payloads.length === 0) return null;
  return <ShareSheet connection={props.connection} items={sortShared(payloads)} onDone={share.clearSharedPayloads} onChat={props.onChat} />;
}

function ShareSheet(props: { connection: Connection; items: Shared[]; onDone: () => void; onChat: (draft: string) => void }) {
  const [done, setDone] = useState<Record<number, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(i: number, work: () => Promise<string>) {
    setBusy(true);
    setError(null);
    try {
      const said = await work();
      setDone((d) => ({ ...d, [i]: said }));
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <View style={[styles.screen, { position: 'absolute', top: 0, left: 0, right: 0, bottom: 0 }]}>
      <ScrollView contentContainerStyle={styles.pad}>
        <Title>Shared with Posey</Title>
        {props.items.map((item, i) => (
          <View key={i} style={styles.card}>
            {item.kind === 'text' && (
              <>
                <Text numberOfLines={6} style={{ color: colors.text }}>
                  {item.text}
                </Text>
                {done[i] ? (
                  <Notice>{done[i]}</Notice>
                ) : (
                  <View style={styles.row}>
                    <Button
                      title="Ask Posey"
                      onPress={() => {
                        props.onDone();
                        props.onChat(chatAbout(item.text));
                      }}
                    />
                    <Button
                      title="Remember it"
                      kind="plain"
                      busy={busy}
                      onPress={() =>
                        void act(i, async () => {
                          await unwrap(props.connection.agents.POST('/v1/memories', { body: { text: item.text.slice(0, 2000), kind: 'other' } }));
                          return 'Remembered.';
                        })
                      }
                    />
                  </View>
                )}
              </>
            )}
            {item.kind === 'document' && (
              <>
                <Text style={{ color: colors.text }}>{item.name}</Text>
                {done[i] ? (
                  <Notice>{done[i]}</Notice>
                ) : (
                  <Button
                    title="Add to my documents"
                    busy={busy}
                    onPress={() =>
                      void act(i, async () => {
                        const doc = await uploadDocument(props.connection, item);
                        return `Added: ${doc.filename}. Posey reads it in the background.`;
                      })
                    }
                  />
                )}
              </>
            )}
            {item.kind === 'unsupported' && (
              <>
                <Text style={{ color: colors.text }}>{item.name}</Text>
                <Notice>{item.reason}</Notice>
              </>
            )}
          </View>
        ))}
        <ErrorText error={error} />
        <Button title="Done" kind="plain" onPress={props.onDone} />
      </ScrollView>
    </View>
  );
}
