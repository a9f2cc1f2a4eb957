// Chat: the conversation list (read from the offline cache when the server cannot be reached),
// what waits for the person's yes, and a conversation whose reply streams in through the SDK's
// chat stream. The composer stays above the keyboard.

import { type ChatEvent, listActions, streamChat, unwrap } from '@posey/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';
import { FlatList, KeyboardAvoidingView, Platform, Pressable, RefreshControl, ScrollView, Text, TextInput, View } from 'react-native';

import type { Conversation, Message } from '../lib/cache';
import type { Connection } from '../lib/connection';
import { Button, ErrorText, Notice, Title, colors, message, styles } from '../ui';
import { useLoad } from '../useLoad';
import { ConfirmationCard, type Pending, fromAction } from './Confirmation';

function savedAt(ms: number): string {
  return new Date(ms).toLocaleString();
}

interface ChatListData {
  conversations: Conversation[];
  pending: Pending[];
  offline: string | null;
}

/** The list from the server (saved for offline reading), or the saved one when it cannot be reached. */
async function fetchChatList(connection: Connection): Promise<ChatListData> {
  try {
    const { conversations } = await unwrap(connection.agents.GET('/v1/conversations', { params: { query: { limit: 30 } } }));
    await connection.cache.saveConversations(conversations);
    const pending = (await listActions(connection.agents)).map(fromAction);
    return { conversations, pending, offline: null };
  } catch (e) {
    const cached = await connection.cache.conversations();
    if (!cached) throw e;
    return { conversations: cached.value, pending: [], offline: `Offline: showing your conversations as of ${savedAt(cached.savedAt)}.` };
  }
}

export function ChatList(props: { connection: Connection; onOpen: (id: string | null, title?: string) => void }) {
  const { connection } = props;
  const list = useLoad(useCallback(() => fetchChatList(connection), [connection]));

  return (
    <FlatList<Conversation>
      data={list.data?.conversations ?? []}
      keyExtractor={(c) => c.id}
      refreshControl={<RefreshControl refreshing={list.loading} onRefresh={list.reload} />}
      contentContainerStyle={styles.pad}
      ListHeaderComponent={
        <View style={{ gap: 12 }}>
          <View style={[styles.row, { justifyContent: 'space-between' }]}>
            <Title>Chats</Title>
            <Button title="New chat" onPress={() => props.onOpen(null)} />
          </View>
          {list.data?.offline && <Notice>{list.data.offline}</Notice>}
          <ErrorText error={list.error && `Could not reach ${connection.server.name}: ${list.error}`} />
          {list.data?.pending.map((p) => (
            <ConfirmationCard key={p.action_id} connection={connection} pending={p} />
          ))}
        </View>
      }
      ListEmptyComponent={list.loading ? null : <Notice>No conversations yet.</Notice>}
      renderItem={({ item }) => (
        <Pressable accessibilityRole="link" accessibilityLabel={item.title || 'Untitled chat'} onPress={() => props.onOpen(item.id, item.title)} style={styles.card}>
          <Text style={{ fontSize: 16, color: colors.text }} numberOfLines={1}>
            {item.title || 'Untitled chat'}
          </Text>
          <Text style={styles.notice}>{new Date(item.updated_at).toLocaleString()}</Text>
        </Pressable>
      )}
    />
  );
}

interface Shown {
  key: string;
  role: 'user' | 'assistant' | 'tool';
  text: string;
}

function shown(messages: Message[]): Shown[] {
  const out: Shown[] = [];
  for (const m of messages) {
    if (m.role === 'tool') out.push({ key: `m${m.id}`, role: 'tool', text: `${m.tool_name ?? 'tool'}${m.is_error ? ' (failed)' : ''}` });
    else if (m.content.trim()) out.push({ key: `m${m.id}`, role: m.role, text: m.content });
  }
  return out;
}

interface Thread {
  messages: Shown[];
  offline: string | null;
}

/** A conversation's messages from the server (saved for offline reading), or the saved ones. */
async function fetchThread(connection: Connection, conversation: string | null): Promise<Thread> {
  if (!conversation) return { messages: [], offline: null };
  try {
    const { messages } = await unwrap(connection.agents.GET('/v1/conversations/{id}/messages', { params: { path: { id: conversation } } }));
    await connection.cache.saveMessages(conversation, messages);
    return { messages: shown(messages), offline: null };
  } catch (e) {
    const cached = await connection.cache.messages(conversation);
    if (!cached) throw e;
    return { messages: shown(cached.value), offline: `Offline: as of ${savedAt(cached.savedAt)}.` };
  }
}

export function ConversationView(props: { connection: Connection; id: string | null; title?: string; draft?: string; onBack: () => void; onCreated: (id: string) => void }) {
  const { connection } = props;
  const [id, setId] = useState(props.id);
  const thread = useLoad(useCallback(() => fetchThread(connection, props.id), [connection, props.id]));
  const [sent, setSent] = useState<Shown[]>([]);
  const [streaming, setStreaming] = useState<string | null>(null);
  const [tools, setTools] = useState<string[]>([]);
  const [pending, setPending] = useState<Pending[]>([]);
  const [draft, setDraft] = useState(props.draft ?? '');
  const [error, setError] = useState<string | null>(null);
  const scroll = useRef<ScrollView>(null);
  const abort = useRef<AbortController | null>(null);
  const offline = thread.data?.offline ?? null;
  const messages = [...(thread.data?.messages ?? []), ...sent];

  useEffect(() => () => abort.current?.abort(), []);

  async function send() {
    const content = draft.trim();
    if (!content || streaming !== null) return;
    setError(null);
    setDraft('');
    setTools([]);
    setPending([]);
    setSent((m) => [...m, { key: `local${Date.now()}`, role: 'user', text: content }]);
    setStreaming('');
    let conversation = id;
    const controller = new AbortController();
    abort.current = controller;
    try {
      if (!conversation) {
        const created = await unwrap(connection.agents.POST('/v1/conversations', { body: { title: content.slice(0, 80) } }));
        conversation = created.id;
        setId(conversation);
        props.onCreated(conversation);
      }
      let text = '';
      const events: AsyncIterable<ChatEvent> = streamChat({
        agentsUrl: connection.server.agentsUrl,
        token: () => connection.auth.accessToken(),
        conversationId: conversation,
        content,
        signal: controller.signal,
        ...(connection.streamFetch ? { fetch: connection.streamFetch } : {}),
      });
      for await (const event of events) {
        if (event.type === 'text') {
          text += event.delta;
          setStreaming(text);
        } else if (event.type === 'tool_call') {
          setTools((t) => [...t, event.name]);
        } else if (event.type === 'confirmation') {
          setPending((p) => [...p, event]);
        } else if (event.type === 'error') {
          setError(event.message);
        }
      }
      const fresh = await fetchThread(connection, conversation);
      thread.update(() => fresh);
      setSent([]);
    } catch (e) {
      if (!controller.signal.aborted) setError(message(e));
    } finally {
      setStreaming(null);
      abort.current = null;
    }
  }

  return (
    <KeyboardAvoidingView style={styles.screen} behavior={Platform.OS === 'ios' ? 'padding' : 'height'} keyboardVerticalOffset={Platform.OS === 'ios' ? 64 : 0}>
      <View style={[styles.row, { padding: 8, borderBottomWidth: 1, borderColor: colors.border }]}>
        <Button title="‹ Chats" kind="plain" label="Back to chats" onPress={props.onBack} />
        <Text style={{ flex: 1, fontSize: 17, fontWeight: '600', color: colors.text }} numberOfLines={1}>
          {props.title || (id ? 'Chat' : 'New chat')}
        </Text>
      </View>
      <ScrollView ref={scroll} contentContainerStyle={[styles.pad, { paddingBottom: 24 }]} onContentSizeChange={() => scroll.current?.scrollToEnd({ animated: false })} keyboardShouldPersistTaps="handled">
        {offline && <Notice>{offline}</Notice>}
        {messages.map((m) =>
          m.role === 'tool' ? (
            <Text key={m.key} testID="tool-card" style={[styles.notice, { fontStyle: 'italic' }]}>
              used {m.text}
            </Text>
          ) : (
            <View key={m.key} testID={m.role === 'user' ? 'user-message' : 'assistant-message'} style={[styles.card, m.role === 'user' && { backgroundColor: colors.mine, alignSelf: 'flex-end', maxWidth: '85%' }]}>
              <Text selectable style={{ fontSize: 16, color: colors.text }}>
                {m.text}
              </Text>
            </View>
          ),
        )}
        {tools.length > 0 && streaming !== null && <Notice>Using {tools.join(', ')}…</Notice>}
        {streaming !== null && (
          <View testID="streaming-message" style={styles.card}>
            <Text style={{ fontSize: 16, color: colors.text }}>{streaming || '…'}</Text>
          </View>
        )}
        {pending.map((p) => (
          <ConfirmationCard key={p.action_id} connection={connection} pending={p} />
        ))}
        <ErrorText error={error ?? thread.error} />
      </ScrollView>
      <View style={[styles.row, { padding: 8, borderTopWidth: 1, borderColor: colors.border, backgroundColor: colors.card }]}>
        <TextInput
          accessibilityLabel="Message"
          placeholder="Message Posey"
          placeholderTextColor={colors.muted}
          value={draft}
          onChangeText={setDraft}
          multiline
          editable={!offline}
          onKeyPress={(e) => {
            // On a hardware keyboard (and the web), Enter sends and Shift+Enter starts a new line.
            const native = e.nativeEvent as { key: string; shiftKey?: boolean };
            if (native.key === 'Enter' && !native.shiftKey && Platform.OS === 'web') {
              (e as unknown as { preventDefault?: () => void }).preventDefault?.();
              void send();
            }
          }}
          style={[styles.input, { flex: 1, maxHeight: 120 }]}
        />
        {streaming !== null ? (
          <Button title="Stop" kind="plain" onPress={() => abort.current?.abort()} />
        ) : (
          <Button title="Send" onPress={() => void send()} disabled={!draft.trim() || !!offline} />
        )}
      </View>
    </KeyboardAvoidingView>
  );
}
