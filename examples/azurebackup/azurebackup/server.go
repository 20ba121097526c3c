// Package azurebackup is a small stand-in for the Azure Data Protection
// (Backup vault) REST API as used to restore an Azure Database for
// PostgreSQL flexible server "as files": list recovery points (paged),
// validate and trigger a restore as long-running operations (202 +
// Azure-AsyncOperation, Location, Retry-After), and track the resulting job.
// A completed restore job really writes the recovery point's bytes into
// Config.TargetDir.
//
// Operations and jobs advance only when polled (no background goroutines):
// each poll counts, and a state changes once enough polls and enough time
// have passed, as configured.
package azurebackup

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultAPIVersion is echoed into generated URLs when a request has no
// api-version query parameter.
const DefaultAPIVersion = "2021-07-01"

// Operation and job statuses.
const (
	StatusInProgress = "InProgress"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
	JobCompleted     = "Completed"
)

// Config configures a Server. Token is required; other zero values take
// the defaults noted (which mirror the seed document's example names).
type Config struct {
	// Token is the bearer token clients must send ("Authorization: Bearer <Token>").
	Token string
	// SubscriptionID, ResourceGroup, VaultName, BackupInstance and Location
	// name the single backup instance served. Names compare
	// case-insensitively, as in Azure.
	SubscriptionID string // default "e3d2d341-4ddb-4c5d-9121-69b7e719485e"
	ResourceGroup  string // default "TestBkpVaultRG"
	VaultName      string // default "testBkpVault"
	BackupInstance string // default "pgflextestserver-857d23b1-c679-4c94-ade6-c4d34635e149"
	Location       string // default "westus"
	// RecoveryPoints is how many daily recovery points exist (default 5).
	RecoveryPoints int
	// PageSize is the number of recovery points per page (default 2).
	PageSize int
	// RetryAfter is sent, in whole seconds, as Retry-After on 202 responses
	// and in-progress polls. Zero sends "0".
	RetryAfter time.Duration
	// OperationPolls is how many polls of a long-running operation still
	// answer InProgress before it reaches its final status; OperationDelay
	// is the minimum age it must also reach. Zero values finish on the
	// first poll.
	OperationPolls int
	OperationDelay time.Duration
	// JobPolls and JobDelay do the same for restore jobs.
	JobPolls int
	JobDelay time.Duration
	// TargetDir receives restored files as <container>/<filePrefix>_<recoveryPointId>.dump.
	// Empty means a fresh temporary directory, removed by Close.
	TargetDir string
	// ErrorLog receives server-side failures. Nil means log.Default().
	ErrorLog *log.Logger
	// Now is the clock, for tests. Nil means time.Now.
	Now func() time.Time
}

// Server serves the mock Data Protection API. It is safe for concurrent use.
type Server struct {
	cfg       Config
	targetDir string
	ownsDir   bool
	root      *os.Root
	rps       []recoveryPoint
	openapi   []byte

	mu   sync.Mutex
	ops  map[string]*operation
	jobs map[string]*job

	closeOnce sync.Once
	closeErr  error
}

// New validates cfg and prepares the target directory.
func New(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, errors.New("azurebackup: Config.Token is empty: set the bearer token clients must send")
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&cfg.SubscriptionID, "e3d2d341-4ddb-4c5d-9121-69b7e719485e")
	def(&cfg.ResourceGroup, "TestBkpVaultRG")
	def(&cfg.VaultName, "testBkpVault")
	def(&cfg.BackupInstance, "pgflextestserver-857d23b1-c679-4c94-ade6-c4d34635e149")
	def(&cfg.Location, "westus")
	if cfg.RecoveryPoints <= 0 {
		cfg.RecoveryPoints = 5
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 2
	}
	if cfg.ErrorLog == nil {
		cfg.ErrorLog = log.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	spec, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		targetDir: cfg.TargetDir,
		rps:       makeRecoveryPoints(cfg.BackupInstance, cfg.RecoveryPoints),
		openapi:   spec,
		ops:       map[string]*operation{},
		jobs:      map[string]*job{},
	}
	if s.targetDir == "" {
		dir, err := os.MkdirTemp("", "azurebackup-target-*")
		if err != nil {
			return nil, fmt.Errorf("azurebackup: create temporary target dir (set Config.TargetDir instead): %w", err)
		}
		s.targetDir, s.ownsDir = dir, true
	} else if err := os.MkdirAll(s.targetDir, 0o755); err != nil {
		return nil, fmt.Errorf("azurebackup: create target dir %s: %w", s.targetDir, err)
	}
	// All writes go through an os.Root, so no request can escape TargetDir
	// even if name validation had a hole.
	root, err := os.OpenRoot(s.targetDir)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("azurebackup: open target dir %s: %w", s.targetDir, err)
	}
	s.root = root
	return s, nil
}

// Close releases the target directory and, if New created it, removes it.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.root != nil {
			errs = append(errs, s.root.Close())
		}
		if s.ownsDir {
			errs = append(errs, os.RemoveAll(s.targetDir))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// TargetDir returns the directory restored files are written under.
func (s *Server) TargetDir() string { return s.targetDir }

// RecoveryPointIDs returns the recovery point ids, newest first.
func (s *Server) RecoveryPointIDs() []string {
	ids := make([]string, len(s.rps))
	for i, rp := range s.rps {
		ids[i] = rp.ID
	}
	return ids
}

// RecoveryPointBytes returns a copy of the content a restore of recovery
// point id writes, and whether the point exists.
func (s *Server) RecoveryPointBytes(id string) ([]byte, bool) {
	rp := s.recoveryPoint(id)
	if rp == nil {
		return nil, false
	}
	return append([]byte(nil), rp.Content...), true
}

func (s *Server) recoveryPoint(id string) *recoveryPoint {
	for i := range s.rps {
		if strings.EqualFold(s.rps[i].ID, id) {
			return &s.rps[i]
		}
	}
	return nil
}

// JobStatus returns the status of a restore job by its name (the last
// segment of its ARM id), without counting as a poll.
func (s *Server) JobStatus(jobName string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[strings.ToLower(jobName)]
	if !ok {
		return "", false
	}
	return j.status, true
}

// Handler returns the HTTP handler serving the API.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// ---- errors and helpers ----

// cloudError is Azure's error envelope: {"error": {"code", "message"}}.
type cloudError struct {
	Error errorDetail `json:"error"`
}

// errorDetail is the body of a CloudError and of a failed operation.
type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keep "&" in nextLink URLs readable
	enc.Encode(v)            // a failed write means the client left; nothing to do
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, cloudError{Error: errorDetail{Code: code, Message: msg}})
}

// newUUID returns a random version-4 UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return uuidFrom(b[:])
}

// newOperationID mimics Azure's operation ids: base64 of "<uuid>;<uuid>".
// The URL-safe alphabet keeps the id a single clean path segment.
func newOperationID() string {
	return base64.URLEncoding.EncodeToString([]byte(newUUID() + ";" + newUUID()))
}

// formatTime renders times like ARM: RFC 3339 UTC with up to 7 fraction digits.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format("2006-01-02T15:04:05.9999999Z")
}

// baseURL is the scheme and host the request came in on, so that absolute
// URLs work behind any address (httptest's random port included).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func apiVersion(r *http.Request) string {
	if v := r.URL.Query().Get("api-version"); v != "" {
		return v
	}
	return DefaultAPIVersion
}

func (s *Server) retryAfter() string {
	return strconv.Itoa(int(s.cfg.RetryAfter.Round(time.Second) / time.Second))
}

// ---- routing ----

// route is a path pattern: literal segments match case-insensitively,
// "{}" captures one segment.
type route struct {
	method  string
	pattern []string
	handle  func(s *Server, w http.ResponseWriter, r *http.Request, vars []string)
}

func split(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

var (
	vaultPrefix    = split("subscriptions/{}/resourceGroups/{}/providers/Microsoft.DataProtection/backupVaults/{}")
	instancePrefix = append(append([]string{}, vaultPrefix...), "backupInstances", "{}")
	locationPrefix = split("subscriptions/{}/providers/Microsoft.DataProtection/locations/{}")
)

func pat(prefix []string, rest ...string) []string {
	return append(append([]string{}, prefix...), rest...)
}

var routes = []route{
	{"GET", pat(instancePrefix, "recoveryPoints"), (*Server).listRecoveryPoints},
	{"GET", pat(instancePrefix, "recoveryPoints", "{}"), (*Server).getRecoveryPoint},
	{"POST", pat(instancePrefix, "validateRestore"), (*Server).validateRestore},
	{"POST", pat(instancePrefix, "restore"), (*Server).triggerRestore},
	{"GET", pat(locationPrefix, "operationStatus", "{}"), (*Server).operationStatus},
	{"GET", pat(locationPrefix, "operationResults", "{}"), (*Server).operationResult},
	{"GET", pat(vaultPrefix, "backupJobs", "{}"), (*Server).getJob},
}

// match reports whether segs fit pattern and returns the captured segments.
func match(pattern, segs []string) ([]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var vars []string
	for i, p := range pattern {
		if p == "{}" {
			if segs[i] == "" {
				return nil, false
			}
			vars = append(vars, segs[i])
		} else if !strings.EqualFold(p, segs[i]) {
			return nil, false
		}
	}
	return vars, true
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("x-ms-request-id", newUUID())
	corr := r.Header.Get("x-ms-correlation-request-id")
	if corr == "" {
		corr = newUUID()
	}
	h.Set("x-ms-correlation-request-id", corr)
	h.Set("Cache-Control", "no-cache")

	if r.URL.Path == "/openapi.json" && r.Method == http.MethodGet {
		h.Set("Content-Type", "application/json")
		w.Write(s.openapi)
		return
	}
	if !s.authorized(r) {
		h.Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"`)
		msg := "Authentication failed. The 'Authorization' header is missing."
		if r.Header.Get("Authorization") != "" {
			msg = "Authentication failed. The access token is invalid: send 'Authorization: Bearer <token>' with the configured token."
		}
		writeError(w, http.StatusUnauthorized, "AuthenticationFailed", msg)
		return
	}

	// Segments are unescaped one by one, so an escaped "/" inside a job id
	// stays within its segment.
	segs := split(r.URL.EscapedPath())
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			writeError(w, http.StatusBadRequest, "InvalidRequestUri", "The request URI has an invalid escape: "+err.Error())
			return
		}
		segs[i] = u
	}
	pathMatched := false
	for _, rt := range routes {
		vars, ok := match(rt.pattern, segs)
		if !ok {
			continue
		}
		pathMatched = true
		if rt.method != r.Method {
			continue
		}
		rt.handle(s, w, r, vars)
		return
	}
	if pathMatched {
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("The HTTP method '%s' is not supported at '%s'.", r.Method, r.URL.Path))
		return
	}
	writeError(w, http.StatusNotFound, "InvalidResourceType",
		fmt.Sprintf("No route for '%s %s'; see /openapi.json for the supported operations.", r.Method, r.URL.Path))
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return false
	}
	tok := strings.TrimSpace(h[len(scheme):])
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

// checkVault answers 404 unless the subscription, resource group and vault
// are the configured ones.
func (s *Server) checkVault(w http.ResponseWriter, sub, rg, vault string) bool {
	switch {
	case !strings.EqualFold(sub, s.cfg.SubscriptionID):
		writeError(w, http.StatusNotFound, "SubscriptionNotFound",
			fmt.Sprintf("The subscription '%s' could not be found.", sub))
	case !strings.EqualFold(rg, s.cfg.ResourceGroup):
		writeError(w, http.StatusNotFound, "ResourceGroupNotFound",
			fmt.Sprintf("Resource group '%s' could not be found.", rg))
	case !strings.EqualFold(vault, s.cfg.VaultName):
		writeError(w, http.StatusNotFound, "ResourceNotFound",
			fmt.Sprintf("The Resource 'Microsoft.DataProtection/backupVaults/%s' under resource group '%s' was not found.", vault, rg))
	default:
		return true
	}
	return false
}

// checkInstance extends checkVault to the backup instance (vars[0:4]).
func (s *Server) checkInstance(w http.ResponseWriter, vars []string) bool {
	if !s.checkVault(w, vars[0], vars[1], vars[2]) {
		return false
	}
	if !strings.EqualFold(vars[3], s.cfg.BackupInstance) {
		writeError(w, http.StatusNotFound, "ResourceNotFound",
			fmt.Sprintf("The backup instance '%s' was not found in vault '%s'.", vars[3], vars[2]))
		return false
	}
	return true
}

func (s *Server) instanceID() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.DataProtection/backupVaults/%s/backupInstances/%s",
		s.cfg.SubscriptionID, s.cfg.ResourceGroup, s.cfg.VaultName, s.cfg.BackupInstance)
}

// ---- recovery points ----

func (s *Server) recoveryPointResource(rp *recoveryPoint) map[string]any {
	return map[string]any{
		"id":   s.instanceID() + "/recoveryPoints/" + rp.ID,
		"name": rp.ID,
		"type": "Microsoft.DataProtection/backupVaults/backupInstances/recoveryPoints",
		"properties": map[string]any{
			"objectType":        "AzureBackupDiscreteRecoveryPoint",
			"recoveryPointId":   rp.ID,
			"recoveryPointTime": formatTime(rp.Time),
			"recoveryPointType": "Full",
			"friendlyName":      rp.FriendlyName,
			"recoveryPointDataStoresDetails": []map[string]any{{
				"id":                    rp.DataStoreID,
				"type":                  "VaultStore",
				"creationTime":          formatTime(rp.Time),
				"expiryTime":            formatTime(rp.Time.AddDate(1, 0, 0)),
				"metaData":              nil,
				"visible":               true,
				"state":                 "COMMITTED",
				"rehydrationExpiryTime": nil,
				"rehydrationStatus":     nil,
			}},
			"retentionTagName":    "Default",
			"retentionTagVersion": "637212748405148394",
			"policyName":          "osspol3",
			"policyVersion":       nil,
			"sizeInBytes":         len(rp.Content),
		},
	}
}

func (s *Server) listRecoveryPoints(w http.ResponseWriter, r *http.Request, vars []string) {
	if !s.checkInstance(w, vars) {
		return
	}
	offset := 0
	if tok := r.URL.Query().Get("$skipToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(s.rps) {
			writeError(w, http.StatusBadRequest, "InvalidSkipToken",
				"The $skipToken is not valid; follow nextLink from the previous page unchanged.")
			return
		}
		offset = n
	}
	end := min(offset+s.cfg.PageSize, len(s.rps))
	value := make([]map[string]any, 0, end-offset)
	for i := offset; i < end; i++ {
		value = append(value, s.recoveryPointResource(&s.rps[i]))
	}
	body := map[string]any{"value": value}
	if end < len(s.rps) {
		body["nextLink"] = baseURL(r) + r.URL.EscapedPath() +
			"?api-version=" + url.QueryEscape(apiVersion(r)) + "&$skipToken=" + strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) getRecoveryPoint(w http.ResponseWriter, r *http.Request, vars []string) {
	if !s.checkInstance(w, vars) {
		return
	}
	rp := s.recoveryPoint(vars[4])
	if rp == nil {
		writeError(w, http.StatusNotFound, "ResourceNotFound",
			fmt.Sprintf("The recovery point '%s' was not found; list recoveryPoints for valid ids.", vars[4]))
		return
	}
	writeJSON(w, http.StatusOK, s.recoveryPointResource(rp))
}
