{{/* Labels every object carries; `name` is the component (duet-api, duet-media, coturn). */}}
{{- define "duet.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: duet
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Selectors are immutable: the component name only, as the plain manifests always had, so
     an install applied from deploy/k8s can be adopted by the chart without recreating pods. */}}
{{- define "duet.selector" -}}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{- define "duet.image" -}}
{{ .root.Values.image.registry }}/{{ .image }}:{{ .root.Values.image.tag }}
{{- end -}}

{{/* The Secret holding the platform secrets; required. */}}
{{- define "duet.secret" -}}
{{ required "secrets.existingSecret: name the Secret with DUET_API_KEY, JOIN_TOKEN_SECRET, INTERNAL_HOOK_SECRET, TURN_SECRET" .Values.secrets.existingSecret }}
{{- end -}}
{{/* A media machine's own credential (media node and recorder): NODE_ID and the NODE_SECRET of
     Secret duet-node-<name> (`duet nodes env <name>` writes it from INTERNAL_HOOK_SECRET, with
     the API's derivation). Media pods never reference INTERNAL_HOOK_SECRET. */}}
{{- define "duet.nodeCredential" -}}
- name: NODE_ID
  value: {{ .node | quote }}
- name: NODE_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ printf "duet-node-%s" .node }}
      key: NODE_SECRET
{{- end -}}
{{- define "duet.pgSecret" -}}
{{ .Values.postgresql.existingSecret | default (include "duet.secret" .) }}
{{- end -}}
{{- define "duet.s3Secret" -}}
{{ .Values.s3.existingSecret | default (include "duet.secret" .) }}
{{- end -}}
{{/* What media pods may reference besides their node's own Secret: never the platform Secret.
     A kubelet can read every key of a Secret its pods reference, so a media machine that
     referenced duet-secrets (even for METRICS_TOKEN) could read INTERNAL_HOOK_SECRET. */}}
{{- define "duet.mediaSecret" -}}
{{ required "media.existingSecret: name the Secret with the media pods' METRICS_TOKEN (and S3 keys)" .Values.media.existingSecret }}
{{- end -}}
{{- define "duet.mediaS3Secret" -}}
{{ .Values.s3.existingSecret | default (include "duet.mediaSecret" .) }}
{{- end -}}

{{/* Pod security context shared by Duet's own pods (uid 10001 in the images). */}}
{{- define "duet.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "duet.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* S3 settings (not secret) shared by the API and the recorder. */}}
{{- define "duet.s3Config" -}}
S3_ENDPOINT: {{ .Values.s3.endpoint | quote }}
S3_REGION: {{ .Values.s3.region | quote }}
S3_BUCKET: {{ required "s3.bucket is required" .Values.s3.bucket | quote }}
S3_FORCE_PATH_STYLE: {{ .Values.s3.forcePathStyle | toString | quote }}
{{- end -}}

{{/* `secret`: the Secret holding the S3 keys (duet.s3Secret for the API, duet.mediaS3Secret for media pods). */}}
{{- define "duet.s3Env" -}}
- name: S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .root.Values.s3.accessKeyIdKey }}
- name: S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .root.Values.s3.secretAccessKeyKey }}
{{- end -}}

{{/* A PodDisruptionBudget's spec: exactly one of minAvailable / maxUnavailable (the API refuses both). */}}
{{- define "duet.pdbSpec" -}}
{{- $pdb := .pdb | default dict -}}
{{- if and (hasKey $pdb "minAvailable") (hasKey $pdb "maxUnavailable") -}}
{{- fail (printf "%s.pdb: set minAvailable or maxUnavailable, not both" .name) -}}
{{- end -}}
{{- toYaml $pdb -}}
{{- end -}}
