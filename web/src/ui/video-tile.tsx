import { useEffect, useRef } from 'preact/hooks';

/** A <video> bound to a MediaStream. Self-view is muted and mirrored; the remote plays sound. */
export function VideoTile(props: { stream: MediaStream | null; muted?: boolean; mirrored?: boolean; label: string; class?: string; testId?: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (el.srcObject !== props.stream) el.srcObject = props.stream;
    if (props.stream) void el.play().catch(() => undefined);
  }, [props.stream]);
  return (
    <video
      ref={ref}
      class={`video ${props.mirrored ? 'mirrored' : ''} ${props.class ?? ''}`}
      autoplay
      playsInline
      muted={props.muted ?? false}
      aria-label={props.label}
      data-testid={props.testId}
    />
  );
}
