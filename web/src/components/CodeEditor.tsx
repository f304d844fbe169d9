// A plain textarea with a line-number gutter that marks the lines the validator complained about.
// No syntax-highlighting library: the text is policy, and a textarea renders it as text only.
import { useRef } from 'react';

export function CodeEditor({
  value,
  onChange,
  badLines,
  label,
  readOnly,
  minRows = 18,
}: {
  value: string;
  onChange: (v: string) => void;
  badLines: Set<number>;
  label: string;
  readOnly?: boolean;
  minRows?: number;
}) {
  const gutter = useRef<HTMLPreElement>(null);
  const lines = value.split('\n').length;
  const rows = Math.max(minRows, Math.min(lines + 1, 40));
  return (
    <div className="tg-editor">
      <pre className="tg-gutter" ref={gutter} aria-hidden="true" style={{ height: rows * 20 + 16 }}>
        {Array.from({ length: lines }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: line numbers are positional
          <div key={i} className={badLines.has(i + 1) ? 'tg-bad' : undefined}>
            {badLines.has(i + 1) ? `! ${i + 1}` : i + 1}
          </div>
        ))}
      </pre>
      <textarea
        aria-label={label}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        readOnly={readOnly}
        value={value}
        rows={rows}
        wrap="off"
        onChange={(e) => onChange(e.currentTarget.value)}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
        onKeyDown={(e) => {
          // Tab indents (two spaces); Escape then Tab leaves the editor, so keyboard users are never trapped.
          if (e.key !== 'Tab' || e.shiftKey || readOnly) return;
          const ta = e.currentTarget;
          if (ta.dataset.escaped === '1') return;
          e.preventDefault();
          const { selectionStart: s, selectionEnd: end } = ta;
          const next = `${ta.value.slice(0, s)}  ${ta.value.slice(end)}`;
          onChange(next);
          requestAnimationFrame(() => ta.setSelectionRange(s + 2, s + 2));
        }}
        onKeyUp={(e) => {
          e.currentTarget.dataset.escaped = e.key === 'Escape' ? '1' : '0';
        }}
      />
    </div>
  );
}

export function DiffView({ lines }: { lines: import('../lib/diff').DiffLine[] }) {
  return (
    <section className="tg-diff" aria-label="Changes">
      {lines.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: diff lines are positional
        <div key={i} className={l.kind === 'same' ? undefined : l.kind}>
          {l.kind === 'gap' ? (
            `… ${l.text}`
          ) : (
            <>
              <span className="no">{l.kind === 'add' ? '' : l.oldNo}</span>
              <span className="no">{l.kind === 'del' ? '' : l.newNo}</span>
              {l.kind === 'add' ? '+ ' : l.kind === 'del' ? '- ' : '  '}
              {l.text}
            </>
          )}
        </div>
      ))}
    </section>
  );
}
