import { errorMessage, noticeMessage } from '@/lib/messages';

export function Alerts({ error, notice }: { error?: string; notice?: string }) {
  const e = errorMessage(error);
  const n = noticeMessage(notice);
  return (
    <>
      {e && (
        <div role="alert" className="alert alert-error alert-soft">
          <span>{e}</span>
        </div>
      )}
      {n && (
        <div role="status" className="alert alert-success alert-soft">
          <span>{n}</span>
        </div>
      )}
    </>
  );
}
