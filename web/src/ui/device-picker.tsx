// A labelled <select> of devices (used on pre-join and in the in-call settings).
import { t } from '../i18n/i18n.ts';

let seq = 0;

export function DevicePicker(props: { label: string; devices: MediaDeviceInfo[]; value: string; onChange: (deviceId: string) => void; testId?: string }) {
  const id = `picker-${props.testId ?? ++seq}`;
  const options = props.devices.length ? props.devices : [];
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)} disabled={!options.length} data-testid={props.testId}>
        {options.length ? null : <option value="">{t('device.default')}</option>}
        {options.map((d, i) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label || t('device.unnamed', { kind: props.label, n: i + 1 })}
          </option>
        ))}
      </select>
    </div>
  );
}
