'use client';
// A native modal dialog (focus kept inside, Escape closes) in daisyUI's look; shown while mounted.

import { useEffect, useId, useRef } from 'react';

export function Modal({ title, onClose, children }: { title: React.ReactNode; onClose: () => void; children: React.ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    // Unmounting removes it from the page, which closes it too.
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} className="modal" aria-labelledby={id} onClose={onClose}>
      <div className="modal-box max-h-[90dvh]">
        <h2 id={id} className="mb-3 text-lg font-semibold">
          {title}
        </h2>
        {children}
      </div>
      {/* The backdrop closes it on a click. Its button is named by aria-label, not by text:
          daisyUI makes that text transparent, which axe judged a contrast failure whenever it
          looked while the dialog was opening. */}
      <form method="dialog" className="modal-backdrop">
        <button type="submit" aria-label="Close the dialog" />
      </form>
    </dialog>
  );
}
