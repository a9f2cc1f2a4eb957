import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-3 p-4">
      <h1 className="text-xl font-semibold">Not found</h1>
      <p className="opacity-80">There is nothing here, or it is not yours.</p>
      <Link className="btn btn-primary" href="/chat">
        Back to chat
      </Link>
    </main>
  );
}
