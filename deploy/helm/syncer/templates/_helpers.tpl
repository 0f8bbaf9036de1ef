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

{{/* The config file text: a string is used verbatim, a mapping is rendered as YAML. */}}
{{- define "syncer.configText" -}}
{{- if kindIs "string" .Values.config -}}
{{- .Values.config -}}
{{- else -}}
{{- toYaml .Values.config -}}
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
