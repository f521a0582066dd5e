{{- define "ito.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ito.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ito.labels" -}}
app.kubernetes.io/name: {{ include "ito.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ito.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ito.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ito.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ito.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The rules the operator needs on the resources it reconciles, in every watched scope. */}}
{{- define "ito.reconcileRules" -}}
- apiGroups: ["tokens.influxdb.dev"]
  resources: ["databasetokens"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["tokens.influxdb.dev"]
  resources: ["databasetokens/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["tokens.influxdb.dev"]
  resources: ["databasetokens/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
