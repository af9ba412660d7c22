import { useEffect, useRef } from 'preact/hooks';
import { routeToSpeaker } from '../lib/devices.ts';

/** A <video> bound to a MediaStream. Self-view is muted and mirrored; the remote plays sound
 *  (through the chosen speaker when the browser allows choosing). */
export function VideoTile(props: {
  stream: MediaStream | null;
  muted?: boolean;
  mirrored?: boolean;
  label: string;
  class?: string;
  testId?: string;
  speakerId?: string;
  hidden?: boolean;
  videoRef?: { current: HTMLVideoElement | null };
}) {
  const ref = useRef<HTMLVideoElement>(null);
  // Re-bind when the stream's tracks change (a device switch keeps the same stream object).
  const trackKey = props.stream?.getTracks().map((t) => t.id).join(',') ?? '';
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (props.videoRef) props.videoRef.current = el;
    if (el.srcObject !== props.stream) el.srcObject = props.stream;
    else if (props.stream) {
      el.srcObject = null;
      el.srcObject = props.stream;
    }
    if (props.stream) void el.play?.()?.catch(() => undefined);
  }, [props.stream, trackKey]);
  useEffect(() => {
    if (ref.current && props.speakerId !== undefined) void routeToSpeaker(ref.current, props.speakerId);
  }, [props.speakerId]);
  return (
    <video
      ref={ref}
      class={`video ${props.mirrored ? 'mirrored' : ''} ${props.class ?? ''} ${props.hidden ? 'is-hidden' : ''}`}
      autoplay
      playsInline
      muted={props.muted ?? false}
      aria-label={props.label}
      data-testid={props.testId}
    />
  );
}
