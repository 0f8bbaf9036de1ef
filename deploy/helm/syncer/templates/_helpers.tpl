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

{{/* Where the Secret volume is mounted: the credential files (secretFiles) and webhooks/<name>. */}}
{{- define "syncer.secretsDir" -}}
/var/run/secrets/syncer
{{- end -}}

{{/* Where the webhook secrets are mounted; webhooks.<name>.secret_file is "<this>/<name>". */}}
{{- define "syncer.webhookSecretsDir" -}}
{{- include "syncer.secretsDir" . }}/webhooks
{{- end -}}

{{/* "true" when credential files are mounted (secretMode: files and at least one secretFiles entry). */}}
{{- define "syncer.secretFilesOn" -}}
{{- if eq .Values.secretMode "files" -}}
{{- range $key, $file := .Values.secretFiles -}}
{{- if $file -}}true{{- break -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Every file the Secret volume puts under syncer.secretsDir, as a JSON list of paths. */}}
{{- define "syncer.mountedSecretFiles" -}}
{{- $files := list -}}
{{- $dir := include "syncer.secretsDir" . -}}
{{- if include "syncer.secretFilesOn" . -}}
{{- range $key, $file := .Values.secretFiles -}}
{{- if $file -}}{{- $files = append $files (printf "%s/%s" $dir $file) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name := list "github" "jira" -}}
{{- if (index $.Values.webhooks $name).enabled -}}
{{- $files = append $files (printf "%s/%s" (include "syncer.webhookSecretsDir" $) $name) -}}
{{- end -}}
{{- end -}}
{{- toJson $files -}}
{{- end -}}

{{- define "syncer.webhookSecretName" -}}
{{- default (include "syncer.secretName" .) .Values.webhooks.existingSecret -}}
{{- end -}}

{{/* "true" when at least one webhook receiver takes its secret from the chart. */}}
{{- define "syncer.webhooksEnabled" -}}
{{- if or .Values.webhooks.github.enabled .Values.webhooks.jira.enabled -}}true{{- end -}}
{{- end -}}

{{/* "true" when the state store is on: state.enabled, or state.persistence.enabled (a PVC implies it). */}}
{{- define "syncer.stateOn" -}}
{{- if or .Values.state.enabled .Values.state.persistence.enabled -}}true{{- end -}}
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
{{- if include "syncer.stateOn" . }}
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
{{- if not (include "syncer.stateOn" .) -}}
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
{{- $out := "" -}}
{{- if not $managed -}}
{{- if kindIs "string" .Values.config -}}
{{- $out = .Values.config -}}
{{- else -}}
{{- $out = toYaml .Values.config -}}
{{- end -}}
{{- else -}}
{{- $out = toYaml (mergeOverwrite $config $managed) -}}
{{- end -}}
{{- /* secretMode files: `key: ${KEY}` of a mounted Secret key becomes `key_file: <its file>`, so a config written
     for the environment (syncer config init) reads the mounted files as it is */ -}}
{{- if include "syncer.secretFilesOn" . -}}
{{- $dir := include "syncer.secretsDir" . -}}
{{- $given := list -}}
{{- range .Values.extraEnv -}}{{- $given = append $given .name -}}{{- end -}}
{{- range $key, $file := .Values.secretFiles -}}
{{- if and $file (not (has $key $.Values.secretEnv)) (not (has $key $given)) -}}
{{- $pattern := printf `(?m)^([ \t]*(?:-[ \t]+)?)(api_key|app_key|token|api_token|private_key|secret):[ \t]*["']?\$\{%s\}["']?[ \t]*(#.*)?$` (regexQuoteMeta $key) -}}
{{- $out = regexReplaceAll $pattern $out (printf "${1}${2}_file: %s/%s" $dir $file) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $out -}}
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
{{- if include "syncer.stateOn" . -}}
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
{{- include "syncer.checkSecrets" . -}}
{{- if eq .Values.mode "cronjob" -}}
{{- $_ := include "syncer.cronJobs" . -}}
{{- end -}}
{{- end -}}

{{/*
The credential files and the config agree: every /var/run/secrets/syncer/... path the config names is a file the
Secret volume mounts, and in secretMode files no ${KEY} reads a key that is mounted as a file instead.
*/}}
{{- define "syncer.checkSecrets" -}}
{{- $dir := include "syncer.secretsDir" . -}}
{{- /* The config's values only, re-serialised: comments of a text config do not count. */ -}}
{{- $text := toYaml (fromYaml (include "syncer.configText" .)) -}}
{{- $mounted := fromJsonArray (include "syncer.mountedSecretFiles" .) -}}
{{- $names := dict -}}
{{- range $key, $file := .Values.secretFiles -}}
{{- if $file -}}
{{- if hasKey $names $file -}}
{{- fail (printf "secretFiles: the keys %s and %s both name the file %s" (get $names $file) $key $file) -}}
{{- end -}}
{{- if eq $file "webhooks" -}}
{{- fail (printf "secretFiles.%s: the file name webhooks is taken (the webhook secrets' folder)" $key) -}}
{{- end -}}
{{- $_ := set $names $file $key -}}
{{- end -}}
{{- end -}}
{{- range $path := regexFindAll (printf "%s/[-A-Za-z0-9._/]+" (regexQuoteMeta $dir)) $text -1 | uniq -}}
{{- if not (has $path $mounted) -}}
{{- if hasPrefix (printf "%s/" (include "syncer.webhookSecretsDir" $)) $path -}}
{{- fail (printf "config names %s, but the chart mounts it only with webhooks.%s.enabled" $path (base $path)) -}}
{{- else if eq $.Values.secretMode "files" -}}
{{- fail (printf "config names %s, but the chart mounts no Secret key there: add secretFiles.<KEY>: %s (the key of %s holding it)" $path (trimPrefix (printf "%s/" $dir) $path) (include "syncer.secretName" $)) -}}
{{- else -}}
{{- fail (printf "config names %s, but secretMode is env: no credential file is mounted (use secretMode: files, or ${VAR} in the config)" $path) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if include "syncer.secretFilesOn" . -}}
{{- $extra := list -}}
{{- range .Values.extraEnv -}}{{- $extra = append $extra .name -}}{{- end -}}
{{- range $key, $file := .Values.secretFiles -}}
{{- if and $file (regexMatch (printf "\\$\\{%s(:-[^}]*)?\\}" (regexQuoteMeta $key)) $text) (not (has $key $extra)) (not (has $key $.Values.secretEnv)) -}}
{{- fail (printf "config reads ${%s} from the environment, but secretMode: files mounts that key as the file %s/%s: write the secret's *_file key with that path (e.g. token_file), or set secretMode: env" $key $dir $file) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A schedule of the config as a CronJob schedule. Argument: dict "schedule" S "where" KEY "integration" NAME.
5-field cron is used as written; "every N<unit>" becomes cron when the interval divides the hour or the day:
every Nm (N divides 60) -> "*" "/N" minutes; every Nh (N divides 24, or N*60 minutes) -> minute 0 of every Nth
hour; every 1d (24h) -> 0 0 * * *. Any other "every" fails: a CronJob cannot fire on it.
*/}}
{{- define "syncer.cronSchedule" -}}
{{- $s := trim (toString .schedule) -}}
{{- $every := "^every\\s+([0-9]+)\\s*([smhd])$" -}}
{{- if regexMatch $every $s -}}
{{- $n := int (regexReplaceAll $every $s "${1}") -}}
{{- $unit := regexReplaceAll $every $s "${2}" -}}
{{- if and (eq $unit "m") (gt $n 0) (eq (mod $n 60) 0) -}}
{{- $n = div $n 60 -}}{{- $unit = "h" -}}
{{- end -}}
{{- if and (eq $unit "h") (eq $n 24) -}}
{{- $n = 1 -}}{{- $unit = "d" -}}
{{- end -}}
{{- if and (eq $unit "m") (gt $n 0) (eq (mod 60 $n) 0) -}}
{{- if eq $n 1 -}}* * * * *{{- else -}}*/{{ $n }} * * * *{{- end -}}
{{- else if and (eq $unit "h") (gt $n 0) (eq (mod 24 $n) 0) -}}
{{- if eq $n 1 -}}0 * * * *{{- else -}}0 */{{ $n }} * * *{{- end -}}
{{- else if and (eq $unit "d") (eq $n 1) -}}
0 0 * * *
{{- else -}}
{{- fail (printf "mode cronjob: %s of the %s integration is %q, which no CronJob schedule can express; use a 5-field cron expression there, or \"every Nm\" with N dividing 60 (every Nh with N dividing 24, every 1d)" .where .integration $s) -}}
{{- end -}}
{{- else -}}
{{- $fields := splitList " " (regexReplaceAll "\\s+" $s " ") -}}
{{- if ne (len $fields) 5 -}}
{{- fail (printf "mode cronjob: %s of the %s integration is %q, not a 5-field cron expression" .where .integration $s) -}}
{{- end -}}
{{- join " " $fields -}}
{{- end -}}
{{- end -}}

{{/*
The CronJobs of mode cronjob, as JSON {"jobs": [{"integration", "schedule"}]}; integration "" is one CronJob for
every configured integration. cronjob.schedule set: that one CronJob. Otherwise each configured integration
(github, jira, pagerduty sections of the config) runs on its schedule: its section's `schedule`, else
`defaults.schedule`, else every 30 minutes; one CronJob when all of them share one schedule, else one per integration
(`syncer sync --only <name>`).
*/}}
{{- define "syncer.cronJobs" -}}
{{- $jobs := list -}}
{{- if .Values.cronjob.schedule -}}
{{- $s := include "syncer.cronSchedule" (dict "schedule" .Values.cronjob.schedule "where" "cronjob.schedule" "integration" "every") -}}
{{- $jobs = append $jobs (dict "integration" "" "schedule" $s) -}}
{{- else -}}
{{- $config := fromYaml (include "syncer.userConfig" .) -}}
{{- $fallback := "*/30 * * * *" -}}
{{- $fallbackWhere := "the built-in default schedule" -}}
{{- $defaults := get $config "defaults" -}}
{{- if and (kindIs "map" $defaults) (get $defaults "schedule") -}}
{{- $fallback = get $defaults "schedule" -}}
{{- $fallbackWhere = "config.defaults.schedule" -}}
{{- end -}}
{{- $schedules := list -}}
{{- range $name := list "github" "jira" "pagerduty" -}}
{{- $section := get $config $name -}}
{{- if kindIs "map" $section -}}
{{- $s := $fallback -}}{{- $where := $fallbackWhere -}}
{{- if get $section "schedule" -}}
{{- $s = get $section "schedule" -}}{{- $where = printf "config.%s.schedule" $name -}}
{{- end -}}
{{- $cron := include "syncer.cronSchedule" (dict "schedule" $s "where" $where "integration" $name) -}}
{{- $jobs = append $jobs (dict "integration" $name "schedule" $cron) -}}
{{- $schedules = append $schedules $cron -}}
{{- end -}}
{{- end -}}
{{- if not $jobs -}}
{{- fail "mode cronjob: the config configures no integration (a github, jira or pagerduty section): there is nothing to schedule" -}}
{{- end -}}
{{- if eq (len (uniq $schedules)) 1 -}}
{{- $jobs = list (dict "integration" "" "schedule" (first $schedules)) -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "jobs" $jobs) -}}
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
        - name: SYNCER_LOG_LEVEL
          value: {{ .Values.logLevel | quote }}
        - name: SYNCER_LOG_FORMAT
          value: {{ .Values.logFormat | quote }}
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
        {{- /* The daemon reads its POST /sync token from the environment only: the one secret env entry of
               secretMode files (optional: without the key, POST /sync answers 403). */}}
        {{- if and (eq .Values.mode "daemon") (eq .Values.secretMode "files") .Values.triggerTokenKey (not (has "SYNCER_TRIGGER_TOKEN" .Values.secretEnv)) }}
        - name: SYNCER_TRIGGER_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ include "syncer.secretName" . }}
              key: {{ .Values.triggerTokenKey }}
              optional: true
        {{- end }}
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
      {{- if and (eq .Values.secretMode "env") (not .Values.secretEnv) }}
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
        {{- if include "syncer.stateOn" . }}
        - name: state
          mountPath: {{ include "syncer.stateDir" . }}
        {{- end }}
        {{- if or (include "syncer.secretFilesOn" .) (include "syncer.webhooksEnabled" .) }}
        - name: secrets
          mountPath: {{ include "syncer.secretsDir" . }}
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
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
    {{- if include "syncer.stateOn" . }}
    - name: state
      {{- if .Values.state.persistence.enabled }}
      persistentVolumeClaim:
        claimName: {{ include "syncer.stateClaimName" . }}
      {{- else }}
      emptyDir:
        sizeLimit: {{ .Values.state.sizeLimit }}
      {{- end }}
    {{- end }}
    {{- if or (include "syncer.secretFilesOn" .) (include "syncer.webhooksEnabled" .) }}
    {{- /* One volume for every secret file, so no mount is nested in another. Keys are optional: an integration
           you do not configure needs no key; a file the config names but the Secret lacks stops syncer with a
           configuration error naming the file. */}}
    - name: secrets
      projected:
        defaultMode: 288  # 0440: root and the pod's fsGroup may read
        sources:
          {{- if include "syncer.secretFilesOn" . }}
          - secret:
              name: {{ include "syncer.secretName" . }}
              optional: true
              items:
                {{- range $key, $file := .Values.secretFiles }}
                {{- if $file }}
                - key: {{ $key }}
                  path: {{ $file }}
                {{- end }}
                {{- end }}
          {{- end }}
          {{- if include "syncer.webhooksEnabled" . }}
          - secret:
              name: {{ include "syncer.webhookSecretName" . }}
              items:
                {{- range $name := list "github" "jira" }}
                {{- with (index $root.Values.webhooks $name) }}
                {{- if .enabled }}
                - key: {{ .secretKey }}
                  path: webhooks/{{ $name }}
                {{- end }}
                {{- end }}
                {{- end }}
          {{- end }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
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

{{/* Labels of the helm test pod (never selected by the workload's Service or NetworkPolicy podSelector). */}}
{{- define "syncer.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "syncer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end -}}

{{/* A CronJob's name (at most 52 characters): the full name, with "-<integration>" for a per-integration one.
Argument: dict "root" . "integration" NAME-or-empty. */}}
{{- define "syncer.cronJobName" -}}
{{- $base := include "syncer.fullname" .root -}}
{{- if .integration -}}
{{- printf "%s-%s" ($base | trunc (int (sub 51 (len .integration))) | trimSuffix "-") .integration -}}
{{- else -}}
{{- $base | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
