{{- define "ito.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The name of every object: fullnameOverride, else "<release>-<name>" (just the release's
name when it already contains the chart's name). */}}
{{- define "ito.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "ito.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The install's identity in the ownership marker (--instance): two installs never fight
over one InfluxDB's tokens. */}}
{{- define "ito.instance" -}}
{{- .Values.instance | default .Release.Name -}}
{{- end -}}

{{/* Combinations of values that render but could not run correctly. */}}
{{- define "ito.validate" -}}
{{- if and (not .Values.leaderElection.enabled) (gt (int .Values.replicaCount) 1) -}}
{{- fail (printf "leaderElection.enabled=false with replicaCount=%d: every replica would reconcile the same resources and issue duplicate tokens; set leaderElection.enabled=true or replicaCount=1" (int .Values.replicaCount)) -}}
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
