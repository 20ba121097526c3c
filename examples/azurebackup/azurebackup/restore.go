package azurebackup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"time"
)

// restoreRequest is AzureBackupRecoveryPointBasedRestoreRequest.
type restoreRequest struct {
	ObjectType          string            `json:"objectType"`
	SourceDataStoreType string            `json:"sourceDataStoreType"`
	RecoveryPointID     string            `json:"recoveryPointId"`
	RestoreTargetInfo   restoreTargetInfo `json:"restoreTargetInfo"`
}

// restoreTargetInfo is RestoreFilesTargetInfo (the only target kind served).
type restoreTargetInfo struct {
	ObjectType      string `json:"objectType"`
	RecoveryOption  string `json:"recoveryOption"`
	RestoreLocation string `json:"restoreLocation"`
	TargetDetails   struct {
		URL                       string `json:"url"`
		FilePrefix                string `json:"filePrefix"`
		RestoreTargetLocationType string `json:"restoreTargetLocationType"`
	} `json:"targetDetails"`
}

// validateRestoreRequest is ValidateRestoreRequestObject.
type validateRestoreRequest struct {
	ObjectType           string          `json:"objectType"`
	RestoreRequestObject *restoreRequest `json:"restoreRequestObject"`
}

// restorePlan is a checked restore request: what to write where.
type restorePlan struct {
	rp          *recoveryPoint
	container   string
	file        string // <filePrefix>_<recoveryPointId>.dump
	destination string // blob URL of the restored file
}

// relPath is the file's path relative to TargetDir.
func (p *restorePlan) relPath() string { return p.container + "/" + p.file }

var (
	// Azure naming rules: storage accounts 3-24 lowercase letters and
	// digits; containers 3-63 of lowercase letters, digits and single
	// inner hyphens.
	accountRE   = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	containerRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,62}$`)
	// File prefixes become file names, so only a conservative set passes.
	prefixRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
)

const blobHostSuffix = ".blob.core.windows.net"

// userError is a request the API accepts (202) but whose operation fails.
func userError(code, format string, args ...any) *errorDetail {
	return &errorDetail{Code: code, Message: fmt.Sprintf(format, args...)}
}

// plan checks a restore request against the served instance and target
// rules. A non-nil error detail means the operation must end Failed.
func (s *Server) plan(req *restoreRequest) (*restorePlan, *errorDetail) {
	if req.ObjectType != "AzureBackupRecoveryPointBasedRestoreRequest" {
		return nil, userError("UserErrorInvalidRequestParameter",
			"restoreRequestObject.objectType is %q; this API restores discrete recovery points: use \"AzureBackupRecoveryPointBasedRestoreRequest\".", req.ObjectType)
	}
	if req.SourceDataStoreType != "VaultStore" {
		return nil, userError("UserErrorInvalidRequestParameter",
			"sourceDataStoreType is %q; recovery points of this instance live in \"VaultStore\".", req.SourceDataStoreType)
	}
	rp := s.recoveryPoint(req.RecoveryPointID)
	if rp == nil {
		return nil, userError("UserErrorRecoveryPointNotFound",
			"Recovery point '%s' was not found for backup instance '%s'; list recoveryPoints and use a properties.recoveryPointId from it.",
			req.RecoveryPointID, s.cfg.BackupInstance)
	}
	t := req.RestoreTargetInfo
	if t.ObjectType != "RestoreFilesTargetInfo" {
		return nil, userError("UserErrorInvalidRestoreTarget",
			"restoreTargetInfo.objectType is %q; only restore as files (\"RestoreFilesTargetInfo\") is supported.", t.ObjectType)
	}
	if t.RecoveryOption != "" && t.RecoveryOption != "FailIfExists" {
		return nil, userError("UserErrorInvalidRequestParameter",
			"restoreTargetInfo.recoveryOption is %q; the only supported value is \"FailIfExists\".", t.RecoveryOption)
	}
	d := t.TargetDetails
	if d.RestoreTargetLocationType != "AzureBlobs" {
		return nil, userError("UserErrorInvalidRestoreTarget",
			"targetDetails.restoreTargetLocationType is %q; use \"AzureBlobs\".", d.RestoreTargetLocationType)
	}
	u, err := url.Parse(d.URL)
	if err != nil || u.Scheme != "https" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, userError("UserErrorInvalidRestoreTarget",
			"targetDetails.url %q is not a container URL like https://<account>.blob.core.windows.net/<container>.", d.URL)
	}
	account, ok := strings.CutSuffix(strings.ToLower(u.Hostname()), blobHostSuffix)
	if !ok || !accountRE.MatchString(account) || u.Port() != "" {
		return nil, userError("UserErrorInvalidRestoreTarget",
			"targetDetails.url host %q is not a blob endpoint <account>%s with a 3-24 character lowercase account name.", u.Host, blobHostSuffix)
	}
	container := strings.Trim(u.Path, "/")
	if !containerRE.MatchString(container) {
		return nil, userError("UserErrorInvalidRestoreTarget",
			"targetDetails.url path %q is not a single valid container name (3-63 lowercase letters, digits and hyphens).", u.Path)
	}
	if !prefixRE.MatchString(d.FilePrefix) {
		return nil, userError("UserErrorInvalidRestoreTarget",
			"targetDetails.filePrefix %q is invalid: use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit.", d.FilePrefix)
	}
	p := &restorePlan{rp: rp, container: container, file: d.FilePrefix + "_" + rp.ID + ".dump"}
	p.destination = "https://" + account + blobHostSuffix + "/" + container + "/" + p.file
	if _, err := s.root.Stat(p.relPath()); err == nil {
		return nil, userError("UserErrorRestoreTargetAlreadyExists",
			"The file '%s' already exists in container '%s' and recoveryOption is FailIfExists; choose another filePrefix or container.", p.file, container)
	}
	return p, nil
}

// ---- long-running operations ----

// operation is one validateRestore or restore long-running operation.
type operation struct {
	id       string
	restore  bool // trigger restore (creates a job) rather than validate
	start    time.Time
	end      time.Time
	polls    int
	status   string
	plan     *restorePlan
	failWith *errorDetail // decided up front, reported at the end
	jobName  string
}

func (s *Server) validateRestore(w http.ResponseWriter, r *http.Request, vars []string) {
	if !s.checkInstance(w, vars) {
		return
	}
	var req validateRestoreRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.ObjectType != "ValidateRestoreRequestObject" || req.RestoreRequestObject == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent",
			"The body must be a ValidateRestoreRequestObject: {\"objectType\": \"ValidateRestoreRequestObject\", \"restoreRequestObject\": {…}}.")
		return
	}
	s.startOperation(w, r, false, req.RestoreRequestObject)
}

func (s *Server) triggerRestore(w http.ResponseWriter, r *http.Request, vars []string) {
	if !s.checkInstance(w, vars) {
		return
	}
	raw, ok := readBody(w, r)
	if !ok {
		return
	}
	// Leniency: the validate body (wrapped in ValidateRestoreRequestObject)
	// is accepted too, so a workflow can send the same body twice.
	var wrapped validateRestoreRequest
	var req restoreRequest
	if json.Unmarshal(raw, &wrapped) == nil && wrapped.ObjectType == "ValidateRestoreRequestObject" && wrapped.RestoreRequestObject != nil {
		req = *wrapped.RestoreRequestObject
	} else if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent",
			"The request body is not a valid AzureBackupRecoveryPointBasedRestoreRequest: "+err.Error())
		return
	}
	if req.ObjectType == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent",
			"The request body needs \"objectType\": \"AzureBackupRecoveryPointBasedRestoreRequest\".")
		return
	}
	s.startOperation(w, r, true, &req)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var raw json.RawMessage
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: "+err.Error())
		return nil, false
	}
	return raw, true
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, ok := readBody(w, r)
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: "+err.Error())
		return false
	}
	return true
}

func (s *Server) startOperation(w http.ResponseWriter, r *http.Request, restore bool, req *restoreRequest) {
	op := &operation{id: newOperationID(), restore: restore, start: s.cfg.Now(), status: StatusInProgress}
	op.plan, op.failWith = s.plan(req)
	s.mu.Lock()
	s.ops[op.id] = op
	s.mu.Unlock()

	locBase := fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.DataProtection/locations/%s",
		baseURL(r), s.cfg.SubscriptionID, s.cfg.Location)
	q := "?api-version=" + url.QueryEscape(apiVersion(r))
	h := w.Header()
	h.Set("Azure-AsyncOperation", locBase+"/operationStatus/"+op.id+q)
	h.Set("Location", locBase+"/operationResults/"+op.id+q)
	h.Set("Retry-After", s.retryAfter())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

// pollOperation counts a poll and advances the operation; it returns a
// snapshot of it. s.mu must not be held.
func (s *Server) pollOperation(w http.ResponseWriter, vars []string) (operation, bool) {
	if !strings.EqualFold(vars[0], s.cfg.SubscriptionID) {
		writeError(w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", vars[0]))
		return operation{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.ops[vars[2]]
	if !ok || !strings.EqualFold(vars[1], s.cfg.Location) {
		writeError(w, http.StatusNotFound, "OperationNotFound",
			fmt.Sprintf("Operation '%s' was not found in location '%s'; poll the URL from the Azure-AsyncOperation header unchanged.", vars[2], vars[1]))
		return operation{}, false
	}
	if op.status == StatusInProgress {
		op.polls++
		now := s.cfg.Now()
		if op.polls > s.cfg.OperationPolls && now.Sub(op.start) >= s.cfg.OperationDelay {
			op.end = now
			if op.failWith != nil {
				op.status = StatusFailed
			} else {
				op.status = StatusSucceeded
				if op.restore {
					op.jobName = s.createJobLocked(op.plan, now)
				}
			}
		}
	}
	return *op, true
}

func (s *Server) operationResource(op *operation) map[string]any {
	body := map[string]any{
		"id": fmt.Sprintf("/subscriptions/%s/providers/Microsoft.DataProtection/locations/%s/operationStatus/%s",
			s.cfg.SubscriptionID, s.cfg.Location, op.id),
		"name":      op.id,
		"status":    op.status,
		"startTime": formatTime(op.start),
		"endTime":   formatTime(op.end),
	}
	if op.status == StatusFailed {
		body["error"] = op.failWith
	}
	if op.jobName != "" {
		body["properties"] = s.jobExtendedInfo(op.jobName)
	}
	return body
}

func (s *Server) jobExtendedInfo(jobName string) map[string]any {
	return map[string]any{"objectType": "OperationJobExtendedInfo", "jobId": s.jobID(jobName)}
}

func (s *Server) operationStatus(w http.ResponseWriter, r *http.Request, vars []string) {
	op, ok := s.pollOperation(w, vars)
	if !ok {
		return
	}
	if op.status == StatusInProgress {
		w.Header().Set("Retry-After", s.retryAfter())
	}
	writeJSON(w, http.StatusOK, s.operationResource(&op))
}

// operationResult is the Location-header protocol: 202 while running, then
// 200 with the job info (restore), 204 (validate), or the error (failed).
func (s *Server) operationResult(w http.ResponseWriter, r *http.Request, vars []string) {
	op, ok := s.pollOperation(w, vars)
	if !ok {
		return
	}
	switch op.status {
	case StatusInProgress:
		w.Header().Set("Location", baseURL(r)+r.URL.EscapedPath()+"?api-version="+url.QueryEscape(apiVersion(r)))
		w.Header().Set("Retry-After", s.retryAfter())
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
	case StatusFailed:
		writeJSON(w, http.StatusBadRequest, cloudError{Error: *op.failWith})
	default:
		if op.jobName != "" {
			writeJSON(w, http.StatusOK, s.jobExtendedInfo(op.jobName))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// ---- jobs ----

// job is one restore job.
type job struct {
	name     string
	plan     *restorePlan
	start    time.Time
	end      time.Time
	polls    int
	status   string
	activity string
	err      *errorDetail
}

func (s *Server) jobID(name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.DataProtection/backupVaults/%s/backupJobs/%s",
		s.cfg.SubscriptionID, s.cfg.ResourceGroup, s.cfg.VaultName, name)
}

// createJobLocked registers a restore job; s.mu must be held.
func (s *Server) createJobLocked(p *restorePlan, now time.Time) string {
	j := &job{name: newUUID(), plan: p, start: now, status: StatusInProgress, activity: newUUID()}
	s.jobs[j.name] = j
	return j.name
}

// runJobLocked performs the restore: it writes the recovery point's bytes
// under TargetDir, refusing to overwrite (recoveryOption FailIfExists).
// s.mu must be held, so two polls never write the same file.
func (s *Server) runJobLocked(j *job) {
	p := j.plan
	err := s.root.MkdirAll(p.container, 0o755)
	if err == nil {
		var f *os.File
		f, err = s.root.OpenFile(p.relPath(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = f.Write(p.rp.Content)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				s.root.Remove(p.relPath()) // leave no partial file behind
			}
		}
	}
	switch {
	case err == nil:
		j.status = JobCompleted
	case errors.Is(err, fs.ErrExist):
		j.status = StatusFailed
		j.err = userError("UserErrorRestoreTargetAlreadyExists",
			"The file '%s' already exists in container '%s' and recoveryOption is FailIfExists; choose another filePrefix or container.", p.file, p.container)
	default:
		s.cfg.ErrorLog.Printf("azurebackup: restore job %s: write %s: %v", j.name, p.relPath(), err)
		j.status = StatusFailed
		j.err = userError("UserErrorRestoreTargetWriteFailed", "Writing '%s' to container '%s' failed: %v", p.file, p.container, err)
	}
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, vars []string) {
	if !s.checkVault(w, vars[0], vars[1], vars[2]) {
		return
	}
	// Leniency: accept the full ARM id from properties.jobId, path-escaped
	// into one segment, as well as the bare job name.
	name := strings.ToLower(path.Base(vars[3]))
	s.mu.Lock()
	j, ok := s.jobs[name]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "ResourceNotFound",
			fmt.Sprintf("Job '%s' was not found in vault '%s'; use the jobId from the restore operation's properties.", vars[3], vars[2]))
		return
	}
	if j.status == StatusInProgress {
		j.polls++
		now := s.cfg.Now()
		if j.polls > s.cfg.JobPolls && now.Sub(j.start) >= s.cfg.JobDelay {
			j.end = now
			s.runJobLocked(j)
		}
	}
	snap := *j
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.jobResource(&snap))
}

func (s *Server) jobResource(j *job) map[string]any {
	server := strings.SplitN(s.cfg.BackupInstance, "-", 2)[0]
	props := map[string]any{
		"activityID":                 j.activity,
		"backupInstanceFriendlyName": s.cfg.BackupInstance,
		"backupInstanceId":           s.instanceID(),
		"dataSourceId": fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.DBforPostgreSQL/flexibleServers/%s",
			s.cfg.SubscriptionID, s.cfg.ResourceGroup, server),
		"dataSourceLocation":   s.cfg.Location,
		"dataSourceName":       server,
		"dataSourceType":       "Microsoft.DBforPostgreSQL/flexibleServers",
		"isUserTriggered":      true,
		"operation":            "Restore",
		"operationCategory":    "Restore",
		"policyName":           "osspol3",
		"progressEnabled":      false,
		"sourceResourceGroup":  s.cfg.ResourceGroup,
		"sourceSubscriptionID": s.cfg.SubscriptionID,
		"startTime":            formatTime(j.start),
		"status":               j.status,
		"subscriptionId":       s.cfg.SubscriptionID,
		"supportedActions":     []string{""},
		"vaultName":            s.cfg.VaultName,
		"extendedInfo": map[string]any{
			"recoveryDestination": j.plan.destination,
			"sourceRecoverPoint": map[string]any{
				"recoveryPointID":   j.plan.rp.ID,
				"recoveryPointTime": formatTime(j.plan.rp.Time),
			},
		},
	}
	if !j.end.IsZero() {
		props["endTime"] = formatTime(j.end)
		props["duration"] = j.end.Sub(j.start).String()
	}
	if j.err != nil {
		props["errorDetails"] = []map[string]any{{"code": j.err.Code, "message": j.err.Message}}
	}
	return map[string]any{
		"id":         s.jobID(j.name),
		"name":       j.name,
		"type":       "Microsoft.DataProtection/backupVaults/backupJobs",
		"properties": props,
	}
}
