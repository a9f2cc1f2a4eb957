// The app's few building blocks: buttons, fields and notices, styled once, named for screen
// readers (and so for the browser tests, which find them by role and name).

import type { ReactNode } from 'react';
import { ActivityIndicator, Pressable, StyleSheet, Text, TextInput, type TextInputProps, View } from 'react-native';

export const colors = {
  bg: '#f7f5f2',
  card: '#ffffff',
  text: '#1d1b19',
  muted: '#6b645c',
  primary: '#3b5bdb',
  danger: '#c92a2a',
  border: '#ddd6cc',
  mine: '#e7ecff',
};

export function Button(props: {
  title: string;
  onPress: () => void;
  kind?: 'primary' | 'plain' | 'danger';
  disabled?: boolean;
  busy?: boolean;
  label?: string;
}) {
  const kind = props.kind ?? 'primary';
  const disabled = props.disabled || props.busy;
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityLabel={props.label ?? props.title}
      accessibilityState={{ disabled: !!disabled, busy: !!props.busy }}
      disabled={disabled}
      onPress={props.onPress}
      style={({ pressed }) => [
        styles.button,
        kind === 'primary' && styles.primary,
        kind === 'danger' && styles.danger,
        kind === 'plain' && styles.plain,
        (pressed || disabled) && { opacity: 0.6 },
      ]}
    >
      {props.busy ? (
        <ActivityIndicator color={kind === 'plain' ? colors.primary : '#fff'} />
      ) : (
        <Text style={[styles.buttonText, kind === 'plain' && { color: colors.primary }]}>{props.title}</Text>
      )}
    </Pressable>
  );
}

export function Field(props: TextInputProps & { label: string }) {
  const { label, style, ...rest } = props;
  return (
    <View style={styles.field}>
      <Text style={styles.label}>{label}</Text>
      <TextInput accessibilityLabel={label} placeholderTextColor={colors.muted} style={[styles.input, style]} {...rest} />
    </View>
  );
}

export function ErrorText({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <Text accessibilityRole="alert" style={styles.error}>
      {error}
    </Text>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return <Text style={styles.notice}>{children}</Text>;
}

export function Title({ children }: { children: ReactNode }) {
  return (
    <Text accessibilityRole="header" style={styles.title}>
      {children}
    </Text>
  );
}

/** What a failure says to a person. */
export function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.bg },
  pad: { padding: 16, gap: 12 },
  title: { fontSize: 22, fontWeight: '600', color: colors.text },
  button: { borderRadius: 10, paddingVertical: 11, paddingHorizontal: 16, alignItems: 'center', justifyContent: 'center', minHeight: 44 },
  primary: { backgroundColor: colors.primary },
  danger: { backgroundColor: colors.danger },
  plain: { backgroundColor: 'transparent' },
  buttonText: { color: '#fff', fontSize: 16, fontWeight: '600' },
  field: { gap: 4 },
  label: { fontSize: 14, color: colors.muted },
  input: { borderWidth: 1, borderColor: colors.border, borderRadius: 10, paddingHorizontal: 12, paddingVertical: 10, fontSize: 16, backgroundColor: colors.card, color: colors.text },
  error: { color: colors.danger, fontSize: 15 },
  notice: { color: colors.muted, fontSize: 14 },
  card: { backgroundColor: colors.card, borderRadius: 12, padding: 12, gap: 6, borderWidth: 1, borderColor: colors.border },
  row: { flexDirection: 'row', alignItems: 'center', gap: 8 },
});
