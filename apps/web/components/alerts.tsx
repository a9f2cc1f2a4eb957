// Banners above a page's content: `Alerts` for the codes a redirect carries in its query, `Notices`
// for a component's own flash and error text.

import { errorMessage, noticeMessage } from '@/lib/messages';

export function Alerts({ error, notice }: { error?: string; notice?: string }) {
  return <Notices flash={noticeMessage(notice)} error={errorMessage(error)} />;
}

/** What the last action on a page did (`flash`) and what went wrong (`error`), as written. */
export function Notices({ flash, error }: { flash: string | null; error: string | null }) {
  return (
    <>
      {flash && (
        <div role="status" className="alert alert-success alert-soft">
          <span>{flash}</span>
        </div>
      )}
      {error && (
        <div role="alert" className="alert alert-error alert-soft">
          <span>{error}</span>
        </div>
      )}
    </>
  );
}
