package conformance

// The view of an engine result that usearazzo's check paths walk, and the
// mapping of upstream's names to it. Upstream's checks are paths over its
// WorkflowExecutionResult, sometimes through aliases (cases.json
// `aliases`) or small JS expressions. Each mapping below is one where the
// engine's field means the same; where it has no equivalent, the view holds
// a useUnmapped value that says why, and a case whose check reaches one is
// ruled not runnable with that reason rather than failed.
//
//	upstream                         engine (runner.WorkflowResult / StepResult)
//	workflowId, outputs              WorkflowID, Outputs
//	status                           completed | ended (an end action; KindEnd) | failed | transferred (TransferredTo set)
//	settledStatus, settledResult(r)  the status / result at the end of the TransferredTo chain
//	durationMs                       Duration (the fake clock advances tickMs per request, as upstream's)
//	steps[i].stepId, attempts        StepID, Attempts
//	steps[i].successful              Status == succeeded
//	steps[i].durationMs              Duration
//	steps[i].subWorkflows[0]         Nested, when the step ran once (StepResult keeps only the last nested run)
//	steps[i].retryReferences         none: the runs of retry stepId/workflowId references are not recorded
//	transferredTo, dependencies      TransferredTo, Dependencies
//	error.workflowId, error.stepId   the innermost StepError on the failure chain; for a workflow refused by
//	                                 validation, the workflow and step its first error is located in
//	error.path                       the workflow ids from the run's workflow down the failure chain
//	                                 (dependency, nested run or transfer target that failed); for a refusal,
//	                                 the chain the diagnostic names ("a → b → a")
//	error.reason                     useReasonOutcomes (a kind or a validation rule)
//	error.message                    useMessages (the same fact in the engine's words)
//	(caught).x                       error.x
//	retryReferencesOf(x), dependenciesOf(x)  x.retryReferences, x.dependencies
//	a?.b, a!                         a.b, a

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/runner"
)

// useUnmapped marks a field of the upstream result the engine has no
// equivalent of; the string says why.
type useUnmapped string

const (
	unmappedRetryRefs = "the engine does not record the runs of retry actions' stepId/workflowId references (StepResult has no retryReferences)"
)

// useMessages maps the error.message regexes of upstream's checks to
// regexes over the engine's message for the same fact. Only messages whose
// point is a fact (which target, which source, what is wrong with which
// field) are mapped; exact JS wording is not compared.
var useMessages = map[string]*regexp.Regexp{
	// a goto naming both a stepId and a workflowId
	`mutually exclusive`: regexp.MustCompile(`has both stepId and workflowId`),
	// a retry naming both
	`declares both a stepId and a workflowId`: regexp.MustCompile(`has both stepId and workflowId`),
	// a transfer to an unknown workflow: the message names it as missing
	`not found`: regexp.MustCompile(`no workflow "[^"]+"`),
	// a retry reference to an unknown step: the message names the step
	`retry reference step "nonexistent" not found`: regexp.MustCompile(`targets step "nonexistent", which is not in workflow`),
	// a non-list onSuccess
	"`onSuccess` is present but is not a list": regexp.MustCompile("`onSuccess` must be an array"),
	// the foreign document is named: upstream by URL, the engine by the
	// name of the source description that loads it
	`cross-document-child\.arazzo\.yaml`: regexp.MustCompile(`source "childWorkflows"`),
	// an unknown source description is named
	`noSuchSource`: regexp.MustCompile(`noSuchSource`),
}

// useRoots are the top-level names of the view.
var useRoots = map[string]bool{
	"status": true, "workflowId": true, "settledStatus": true, "outputs": true, "steps": true,
	"http_calls": true, "sleeps_ms": true, "error": true, "transferredTo": true,
	"dependencies": true, "durationMs": true, "settledResult(result)": true,
}

// useStatus maps a result to usearazzo's statuses: completed, ended (an
// end action fired), failed, transferred (a goto to a workflow).
func useStatus(r *engine.Result) string {
	if r == nil {
		return ""
	}
	if r.TransferredTo != nil {
		return "transferred"
	}
	if r.Error != nil && r.Error.Kind == runner.KindEnd {
		return "ended"
	}
	switch r.Status {
	case runner.StatusSucceeded:
		if n := len(r.Steps); n > 0 && strings.HasPrefix(r.Steps[n-1].Action, "end") {
			return "ended"
		}
		return "completed"
	case runner.StatusCancelled:
		return "aborted"
	}
	return string(r.Status)
}

// useSettled follows the TransferredTo chain to its end.
func useSettled(r *engine.Result) *engine.Result {
	for i := 0; r != nil && r.TransferredTo != nil && i < 64; i++ {
		r = r.TransferredTo
	}
	return r
}

// useView is the JSON view of a result that check paths walk.
func useView(r *engine.Result) map[string]any {
	if r == nil {
		return map[string]any{}
	}
	v := map[string]any{
		"workflowId":    r.WorkflowID,
		"status":        useStatus(r),
		"settledStatus": useStatus(useSettled(r)),
		"outputs":       jsonValue(r.Outputs),
		"inputs":        jsonValue(r.Inputs),
		"durationMs":    float64(r.Duration.Milliseconds()),
	}
	if v["outputs"] == nil {
		v["outputs"] = map[string]any{}
	}
	steps := []any{}
	for _, s := range r.Steps {
		sv := map[string]any{
			"stepId":          s.StepID,
			"attempts":        float64(s.Attempts),
			"successful":      s.Status == runner.StatusSucceeded,
			"durationMs":      float64(s.Duration.Milliseconds()),
			"retryReferences": useUnmapped(unmappedRetryRefs),
		}
		if s.Nested != nil {
			if s.Attempts <= 1 {
				sv["subWorkflows"] = []any{useView(s.Nested)}
			} else {
				sv["subWorkflows"] = useUnmapped(fmt.Sprintf("step %s ran its workflow %d times and StepResult.Nested keeps only the last run", s.StepID, s.Attempts))
			}
		}
		steps = append(steps, sv)
	}
	v["steps"] = steps
	if r.TransferredTo != nil {
		v["transferredTo"] = useView(r.TransferredTo)
	}
	if len(r.Dependencies) > 0 {
		var deps []any
		for _, d := range r.Dependencies {
			deps = append(deps, useView(d))
		}
		v["dependencies"] = deps
	}
	return v
}

var (
	jsEvery        = regexp.MustCompile(`^(.*)\.every\(\((\w+)\) => (\w+)\.(.+)\)$`)
	jsMap          = regexp.MustCompile(`^(.*)\.map\(\((\w+)\) => (\w+)\.(.+)\)$`)
	jsOfCall       = regexp.MustCompile(`(retryReferencesOf|dependenciesOf)\(([\w.\[\]]+)\)`)
	pathSegment    = regexp.MustCompile(`^([A-Za-z_$][\w$]*)?((?:\[(?:\d+|\*)\])*)$`)
	pathIndex      = regexp.MustCompile(`\[(\d+|\*)\]`)
	rootIdentifier = regexp.MustCompile(`^(settledResult\(result\)|[A-Za-z_$][\w$]*)`)
)

// useNormalize rewrites upstream's path syntax to the view's: optional
// chaining and non-null assertions dropped, `(caught)` (the thrown error)
// as `error`, helper calls as field accesses, a type annotation dropped.
func useNormalize(path string) string {
	path = strings.TrimSuffix(path, " string[]")
	path = strings.ReplaceAll(path, "(caught)", "error")
	path = strings.ReplaceAll(path, "?.[", "[")
	path = strings.ReplaceAll(path, "?.", ".")
	path = strings.ReplaceAll(path, "!", "")
	for i := 0; i < 4 && jsOfCall.MatchString(path); i++ {
		path = jsOfCall.ReplaceAllStringFunc(path, func(m string) string {
			sm := jsOfCall.FindStringSubmatch(m)
			field := "retryReferences"
			if sm[1] == "dependenciesOf" {
				field = "dependencies"
			}
			return sm[2] + "." + field
		})
	}
	return path
}

func useRootName(path string) string {
	return rootIdentifier.FindString(path)
}

// useEnv evaluates check paths: the run's view, the case's aliases, and the
// views of further runs by the name the checks give them.
type useEnv struct {
	root    map[string]any
	aliases map[string]string
	runs    map[string]any
}

// eval returns the value at path, whether it exists, and why it cannot be
// mapped, if it cannot.
func (e *useEnv) eval(path string) (any, bool, string) {
	return e.evalDepth(path, 0)
}

func (e *useEnv) evalDepth(path string, depth int) (any, bool, string) {
	if depth > 8 {
		return nil, false, "aliases nest too deeply"
	}
	if m := jsEvery.FindStringSubmatch(path); m != nil && m[2] == m[3] {
		list, found, un := e.evalDepth(m[1], depth+1)
		if un != "" || !found {
			return nil, found, un
		}
		items, _ := list.([]any)
		all := true
		for _, it := range items {
			v, ok, un := walkView(it, m[4])
			if un != "" {
				return nil, false, un
			}
			all = all && ok && v == true
		}
		return all, true, ""
	}
	if m := jsMap.FindStringSubmatch(path); m != nil && m[2] == m[3] {
		list, found, un := e.evalDepth(m[1], depth+1)
		if un != "" || !found {
			return nil, found, un
		}
		if u, ok := list.(useUnmapped); ok {
			return nil, false, string(u)
		}
		items, _ := list.([]any)
		out := []any{}
		for _, it := range items {
			v, _, un := walkView(it, m[4])
			if un != "" {
				return nil, false, un
			}
			out = append(out, v)
		}
		return out, true, ""
	}
	root := useRootName(path)
	rest := strings.TrimPrefix(path, root)
	switch {
	case root == "settledResult(result)":
		// The result at the end of the transfer chain; the result itself
		// when it did not transfer.
		v := any(e.root)
		for i := 0; i < 64; i++ {
			next, ok := v.(map[string]any)["transferredTo"]
			if !ok {
				break
			}
			v = next
		}
		return walkView(v, strings.TrimPrefix(rest, "."))
	case root == "result":
		// `result` in a check value: the run's own result.
		return walkView(e.root, strings.TrimPrefix(rest, "."))
	case e.aliases[root] != "":
		return e.evalDepth(useNormalize(e.aliases[root])+rest, depth+1)
	case e.runs[root] != nil:
		return walkView(e.runs[root], strings.TrimPrefix(rest, "."))
	}
	return walkView(e.root, path)
}

// walkView evaluates a plain path ("steps[*].stepId", "http_calls.length",
// "transferredTo.status") over v. A [*] spreads: the result is the list of
// the values found.
func walkView(v any, path string) (any, bool, string) {
	if path == "" {
		return v, v != nil, ""
	}
	cur := []any{v}
	spread := false
	for _, part := range strings.Split(path, ".") {
		m := pathSegment.FindStringSubmatch(part)
		if m == nil {
			return nil, false, fmt.Sprintf("path segment %q is a JS expression without an engine equivalent", part)
		}
		var next []any
		for _, x := range cur {
			if u, ok := x.(useUnmapped); ok {
				return nil, false, string(u)
			}
			if m[1] == "length" {
				if s, ok := x.([]any); ok {
					next = append(next, float64(len(s)))
					continue
				}
			}
			if m[1] != "" {
				obj, ok := x.(map[string]any)
				if !ok {
					continue
				}
				if x, ok = obj[m[1]]; !ok {
					continue
				}
			}
			xs := []any{x}
			for _, idx := range pathIndex.FindAllStringSubmatch(m[2], -1) {
				var out []any
				for _, e := range xs {
					if u, ok := e.(useUnmapped); ok {
						return nil, false, string(u)
					}
					s, _ := e.([]any)
					if idx[1] == "*" {
						spread = true
						out = append(out, s...)
					} else if i, _ := strconv.Atoi(idx[1]); i < len(s) {
						out = append(out, s[i])
					}
				}
				xs = out
			}
			next = append(next, xs...)
		}
		cur = next
	}
	for _, x := range cur {
		if u, ok := x.(useUnmapped); ok {
			return nil, false, string(u)
		}
	}
	if spread {
		if cur == nil {
			cur = []any{}
		}
		return cur, true, ""
	}
	if len(cur) == 0 || cur[0] == nil {
		return nil, false, ""
	}
	return cur[0], true, ""
}

// useCheckRule returns why a check cannot be expressed, or "".
func useCheckRule(c useCase, ch map[string]any) string {
	path, _ := ch["path"].(string)
	if _, ok := ch["rejects"]; ok && path == "" {
		return ""
	}
	norm := useNormalize(path)
	for alias, target := range c.Aliases {
		if useRootName(norm) == alias {
			norm = useNormalize(target) + strings.TrimPrefix(norm, alias)
		}
	}
	switch {
	case norm == "error.message":
		re, _ := ch["matches"].(map[string]any)
		pattern, _ := re["regex"].(string)
		if useMessages[pattern] == nil {
			return fmt.Sprintf("error.message /%s/ asserts upstream's wording, with no fact the engine's message states", pattern)
		}
	case norm == "error.cause":
		return "error.cause is the AbortSignal reason of the JS API"
	case strings.Contains(norm, "signal"):
		return "check path " + path + ": the JS AbortSignal passed to the transport"
	case strings.HasPrefix(norm, "error.path"):
		if re, _ := ch["matches"].(map[string]any); re != nil && strings.Contains(fmt.Sprint(re["regex"]), "#") {
			return fmt.Sprintf("check %s /%v/: upstream names a workflow of another document <document URL>#<workflowId>, and engine results carry workflow ids only", path, re["regex"])
		}
	}
	for _, v := range []any{ch["equals"], ch["not_equals"]} {
		if js, ok := useField(v, "js").(string); ok && js != "result" && !strings.HasPrefix(js, "result.") && c.Aliases[useRootName(useNormalize(js))] == "" {
			return fmt.Sprintf("check value %q is a JS expression without an engine equivalent", js)
		}
	}
	root := useRootName(norm)
	if !useRoots[root] && c.Aliases[root] == "" && len(c.Runs) < 2 {
		return fmt.Sprintf("check path %q: root %q is neither a result field nor an alias", path, root)
	}
	return ""
}

// useField returns m[key] when v is an object, else nil.
func useField(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

// useCheck applies one check's operator; "" means it holds.
func useCheck(ch map[string]any, got any, found bool) string {
	for op, want := range ch {
		switch op {
		case "equals", "deep_equals":
			if !found || !jsonEqual(got, want) {
				return fmt.Sprintf("got %s, want %s", show(got), show(want))
			}
		case "not_equals":
			if found && jsonEqual(got, want) {
				return fmt.Sprintf("got %s, want anything else", show(got))
			}
		case "includes", "not_includes":
			has := false
			switch g := got.(type) {
			case string:
				has = strings.Contains(g, fmt.Sprint(want))
			case []any:
				for _, e := range g {
					s, isString := e.(string)
					has = has || jsonEqual(e, want) || isString && strings.Contains(s, fmt.Sprint(want))
				}
			}
			if has != (op == "includes") {
				return fmt.Sprintf("%s %s: got %s", op, show(want), show(got))
			}
		case "matches":
			re, _ := want.(map[string]any)
			pattern, _ := re["regex"].(string)
			s, _ := got.(string)
			if ok, err := regexp.MatchString(pattern, s); err != nil || !ok {
				return fmt.Sprintf("got %s, want a match of /%s/", show(got), pattern)
			}
		case "absent":
			if found {
				return fmt.Sprintf("got %s, want absent", show(got))
			}
		case "present":
			if !found {
				return "absent, want present"
			}
		case "length":
			s, _ := got.([]any)
			if !jsonEqual(float64(len(s)), want) {
				return fmt.Sprintf("length %d, want %v", len(s), want)
			}
		}
	}
	return ""
}
