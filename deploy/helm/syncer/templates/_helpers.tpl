{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "syncer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name, prefixed with the chart name unless it already contains it. */}}
{{- define "syncer.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "syncer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "syncer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end -}}

{{- define "syncer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "syncer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: syncer
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{ include "syncer.datadogLabels" . }}
{{- end -}}

{{/* Datadog unified service tagging: the pod's DD_SERVICE / DD_ENV / DD_VERSION come from these labels. */}}
{{- define "syncer.datadogLabels" -}}
tags.datadoghq.com/service: {{ .Values.datadog.service | quote }}
{{- with .Values.datadog.env }}
tags.datadoghq.com/env: {{ . | quote }}
{{- end }}
tags.datadoghq.com/version: {{ default .Chart.AppVersion .Values.datadog.version | quote }}
{{- end -}}

{{/* The Datadog Agent's Autodiscovery check for the syncer container (annotations v2, Agent 7.36+). */}}
{{- define "syncer.datadogChecks" -}}
{{- $instance := dict "openmetrics_endpoint" (printf "http://%%%%host%%%%:%d/metrics" (int .Values.daemon.port)) "namespace" "syncer" "metrics" (list "syncer_.*") -}}
{{- dict "openmetrics" (dict "init_config" (dict) "instances" (list $instance)) | toJson -}}
{{- end -}}

{{- define "syncer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "syncer.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "syncer.secretName" -}}
{{- default (printf "%s-credentials" (include "syncer.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "syncer.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Where the webhook secrets are mounted; webhooks.<name>.secret_file is "<this>/<name>". */}}
{{- define "syncer.webhookSecretsDir" -}}
/var/run/secrets/syncer/webhooks
{{- end -}}

{{- define "syncer.webhookSecretName" -}}
{{- default (include "syncer.secretName" .) .Values.webhooks.existingSecret -}}
{{- end -}}

{{/* "true" when at least one webhook receiver takes its secret from the chart. */}}
{{- define "syncer.webhooksEnabled" -}}
{{- if or .Values.webhooks.github.enabled .Values.webhooks.jira.enabled -}}true{{- end -}}
{{- end -}}

{{- define "syncer.stateClaimName" -}}
{{- default (printf "%s-state" (include "syncer.fullname" .)) .Values.state.persistence.existingClaim -}}
{{- end -}}

{{/* The folder of state.path: the state volume's mount point. */}}
{{- define "syncer.stateDir" -}}
{{- dir .Values.state.path -}}
{{- end -}}

{{/* The part of the config the chart writes: state.path and the webhook secret files (YAML, maybe empty). */}}
{{- define "syncer.managedConfig" -}}
{{- if .Values.state.enabled }}
state:
  path: {{ .Values.state.path | quote }}
{{- end }}
{{- if include "syncer.webhooksEnabled" . }}
webhooks:
  {{- range $name := list "github" "jira" }}
  {{- if (index $.Values.webhooks $name).enabled }}
  {{ $name }}:
    secret_file: {{ printf "%s/%s" (include "syncer.webhookSecretsDir" $) $name | quote }}
  {{- end }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* The config as the user gave it, parsed (a mapping); fails on text that is not YAML. */}}
{{- define "syncer.userConfig" -}}
{{- if kindIs "string" .Values.config -}}
{{- $parsed := fromYaml .Values.config -}}
{{- if hasKey $parsed "Error" -}}
{{- fail (printf "config: not valid YAML: %s" (get $parsed "Error")) -}}
{{- end -}}
{{- toYaml $parsed -}}
{{- else -}}
{{- toYaml .Values.config -}}
{{- end -}}
{{- end -}}

{{/*
The config file text. Nothing for the chart to write: the string verbatim, or the mapping as YAML. Otherwise the
user's config with the chart's keys (syncer.managedConfig) merged in, as YAML (comments of a text config are
not kept). Keys the chart writes must not be set in `config` as well: that is an error, not a silent override.
*/}}
{{- define "syncer.configText" -}}
{{- $managed := fromYaml (include "syncer.managedConfig" .) -}}
{{- $config := fromYaml (include "syncer.userConfig" .) -}}
{{- $state := get $config "state" -}}
{{- if and (kindIs "map" $state) (get $state "path") -}}
{{- if not .Values.state.enabled -}}
{{- fail "config.state.path is set, but state.enabled is false: nothing writable is mounted there. Use state.enabled and state.path (the chart mounts a volume at its folder)" -}}
{{- else if ne (get $state "path") .Values.state.path -}}
{{- fail (printf "config.state.path (%s) differs from state.path (%s): set the path in state.path only" (get $state "path") .Values.state.path) -}}
{{- end -}}
{{- end -}}
{{- $hooks := get $config "webhooks" -}}
{{- range $name := list "github" "jira" -}}
{{- if and (index $.Values.webhooks $name).enabled (kindIs "map" $hooks) (kindIs "map" (get $hooks $name)) -}}
{{- $given := get $hooks $name -}}
{{- if or (hasKey $given "secret") (hasKey $given "secret_file") -}}
{{- fail (printf "config.webhooks.%s sets its secret, but webhooks.%s.enabled makes the chart set webhooks.%s.secret_file: give the secret one way only" $name $name $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $managed -}}
{{- if kindIs "string" .Values.config -}}
{{- .Values.config -}}
{{- else -}}
{{- toYaml .Values.config -}}
{{- end -}}
{{- else -}}
{{- toYaml (mergeOverwrite $config $managed) -}}
{{- end -}}
{{- end -}}

{{/* Combinations the values schema cannot express. Rendered (as nothing) by the ConfigMap. */}}
{{- define "syncer.checkValues" -}}
{{- if and .Values.serviceMonitor.enabled (ne .Values.mode "daemon") -}}
{{- fail "serviceMonitor.enabled needs mode: daemon (a CronJob serves no /metrics)" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (ne .Values.mode "daemon") -}}
{{- fail "ingress.enabled needs mode: daemon (a CronJob serves no HTTP)" -}}
{{- end -}}
{{- if and (include "syncer.webhooksEnabled" .) (ne .Values.mode "daemon") -}}
{{- fail "webhooks.github.enabled / webhooks.jira.enabled need mode: daemon (only the daemon receives webhooks)" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not (include "syncer.webhooksEnabled" .)) -}}
{{- fail "ingress.enabled exposes /webhooks/, but no receiver has a secret: set webhooks.github.enabled and/or webhooks.jira.enabled (a receiver without a secret answers 403)" -}}
{{- end -}}
{{- if .Values.state.enabled -}}
{{- $dir := include "syncer.stateDir" . -}}
{{- range $taken := list "/" "/tmp" "/etc/syncer" "/var/run" "/var/run/secrets" -}}
{{- if eq $dir $taken -}}
{{- fail (printf "state.path %s: its folder %s cannot be the state volume's mount point; use e.g. /var/lib/syncer/state.db" $.Values.state.path $dir) -}}
{{- end -}}
{{- end -}}
{{- if hasPrefix "/var/run/secrets/" $dir -}}
{{- fail (printf "state.path %s: its folder must not be under /var/run/secrets/" $.Values.state.path) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Pod template shared by the Deployment and the CronJob. Argument: dict "root" . "args" LIST. */}}
{{- define "syncer.podTemplate" -}}
{{- $root := .root -}}
{{- with $root -}}
metadata:
  labels:
    {{- include "syncer.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/part-of: syncer
    {{- include "syncer.datadogLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include "syncer.configText" . | sha256sum }}
    {{- if and (eq .Values.mode "daemon") .Values.daemon.scrapeAnnotations }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ .Values.daemon.port | quote }}
    prometheus.io/path: /metrics
    {{- end }}
    {{- if and (eq .Values.mode "daemon") .Values.datadog.autodiscovery }}
    ad.datadoghq.com/syncer.checks: {{ include "syncer.datadogChecks" . | quote }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- if eq .Values.mode "cronjob" }}
  restartPolicy: Never
  {{- end }}
  serviceAccountName: {{ include "syncer.serviceAccountName" . }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: syncer
      image: {{ include "syncer.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command: ["syncer"]
      args:
        {{- toYaml $.args | nindent 8 }}
      env:
        - name: SYNCER_CONFIG
          value: /etc/syncer/config.yaml
        - name: TMPDIR
          value: /tmp
        - name: DD_SERVICE
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['tags.datadoghq.com/service']
        {{- if .Values.datadog.env }}
        - name: DD_ENV
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['tags.datadoghq.com/env']
        {{- end }}
        - name: DD_VERSION
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['tags.datadoghq.com/version']
        {{- range .Values.secretEnv }}
        - name: {{ . }}
          valueFrom:
            secretKeyRef:
              name: {{ include "syncer.secretName" $root }}
              key: {{ . }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if not .Values.secretEnv }}
      envFrom:
        - secretRef:
            name: {{ include "syncer.secretName" . }}
      {{- end }}
      {{- if eq .Values.mode "daemon" }}
      ports:
        - name: http
          containerPort: {{ .Values.daemon.port }}
          protocol: TCP
      startupProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml .Values.daemon.startupProbe | nindent 8 }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml .Values.daemon.livenessProbe | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml .Values.daemon.readinessProbe | nindent 8 }}
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/syncer
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- if .Values.state.enabled }}
        - name: state
          mountPath: {{ include "syncer.stateDir" . }}
        {{- end }}
        {{- if include "syncer.webhooksEnabled" . }}
        - name: webhook-secrets
          mountPath: {{ include "syncer.webhookSecretsDir" . }}
          readOnly: true
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "syncer.fullname" . }}-config
        items:
          - key: config.yaml
            path: config.yaml
    - name: tmp
      emptyDir:
        medium: Memory
        sizeLimit: {{ .Values.tmpSizeLimit }}
    {{- if .Values.state.enabled }}
    - name: state
      {{- if .Values.state.persistence.enabled }}
      persistentVolumeClaim:
        claimName: {{ include "syncer.stateClaimName" . }}
      {{- else }}
      emptyDir:
        sizeLimit: {{ .Values.state.sizeLimit }}
      {{- end }}
    {{- end }}
    {{- if include "syncer.webhooksEnabled" . }}
    - name: webhook-secrets
      secret:
        secretName: {{ include "syncer.webhookSecretName" . }}
        defaultMode: 288  # 0440: root and the pod's fsGroup may read
        items:
          {{- range $name := list "github" "jira" }}
          {{- with (index $root.Values.webhooks $name) }}
          {{- if .enabled }}
          - key: {{ .secretKey }}
            path: {{ $name }}
          {{- end }}
          {{- end }}
          {{- end }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}
