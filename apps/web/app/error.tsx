'use client';

export default function Failure({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-3 p-4">
      <h1 className="text-xl font-semibold">Something went wrong</h1>
      <p className="max-w-md text-center opacity-80">{error.message || 'A service did not answer.'}</p>
      <button className="btn btn-primary" type="button" onClick={reset}>
        Try again
      </button>
    </main>
  );
}
