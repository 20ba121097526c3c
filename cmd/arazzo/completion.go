package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/internal/flowgraph"
)

// Shell completion: cobra's `arazzo completion bash|zsh|fish|powershell`
// writes the scripts; the functions here complete values that depend on
// the document named on the command line: workflow ids, input names and
// source names. They read the document only when the shell asks.

// completionTimeout bounds how long a completion may spend loading a
// document (its source descriptions may be remote).
const completionTimeout = 5 * time.Second

// completeFileThenWorkflow completes FILE (files) then WORKFLOW (the
// document's workflow ids, with their summaries as descriptions).
func completeFileThenWorkflow(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return nil, cobra.ShellCompDirectiveDefault
	case 1:
		return workflowCompletions(cmd, args[0], toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// setupCompletion adds cobra's `completion` command (made a usage error
// without a known shell, instead of printing help with status 0) and
// dynamic completion of the run command's --workflow, --input and --server
// flags.
func setupCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" && c.Run == nil && c.RunE == nil {
			c.RunE = func(cmd *cobra.Command, _ []string) error {
				return &exitError{code: exitInvalid, msg: "name a shell: arazzo completion bash|zsh|fish|powershell (see arazzo completion --help)"}
			}
		}
	}
	for _, c := range root.Commands() {
		if c.Name() != "run" {
			continue
		}
		if c.Flags().Lookup("workflow") != nil {
			_ = c.RegisterFlagCompletionFunc("workflow", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) == 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return workflowCompletions(cmd, args[0], toComplete), cobra.ShellCompDirectiveNoFileComp
			})
		}
		if c.Flags().Lookup("input") != nil {
			_ = c.RegisterFlagCompletionFunc("input", completeInputNames)
		}
		if c.Flags().Lookup("server") != nil {
			_ = c.RegisterFlagCompletionFunc("server", completeSourceNames)
		}
	}
}

// completeInputNames offers NAME= for each input of the workflows chosen
// with --workflow (all workflows when none is).
func completeInputNames(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 0 || strings.Contains(toComplete, "=") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	doc, err := engine.Open(ctx, args[0], fileAccess())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ids, _ := cmd.Flags().GetStringArray("workflow")
	if len(ids) == 0 {
		ids = doc.WorkflowIDs()
	}
	seen := map[string]bool{}
	var out []cobra.Completion
	for _, id := range ids {
		w := doc.Bundle.Document.Workflow(id)
		if w == nil {
			continue
		}
		// The engine's list when the document compiles; the schema's
		// properties as written when it does not (still worth completing).
		names := doc.InputNames(id)
		fromSchema := len(names) == 0
		descr := map[string]string{}
		for _, in := range flowgraph.Inputs(doc.Bundle.Document, w, nil) {
			if fromSchema {
				names = append(names, in.Name)
			}
			descr[in.Name] = in.Description
		}
		for _, n := range names {
			if seen[n] || !strings.HasPrefix(n+"=", toComplete) {
				continue
			}
			seen[n] = true
			out = append(out, cobra.CompletionWithDesc(n+"=", firstLine(descr[n])))
		}
	}
	return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

// completeSourceNames offers SOURCE= for each source description.
func completeSourceNames(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 0 || strings.Contains(toComplete, "=") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	d := loadModel(cmd, args[0])
	if d == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, s := range d.SourceDescriptions {
		if strings.HasPrefix(s.Name+"=", toComplete) {
			out = append(out, cobra.CompletionWithDesc(s.Name+"=", s.URL))
		}
	}
	return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

// workflowCompletions lists the workflow ids of file starting with prefix.
func workflowCompletions(cmd *cobra.Command, file, prefix string) []cobra.Completion {
	d := loadModel(cmd, file)
	if d == nil {
		return nil
	}
	var out []cobra.Completion
	for _, w := range d.Workflows {
		if strings.HasPrefix(w.WorkflowID, prefix) {
			out = append(out, cobra.CompletionWithDesc(w.WorkflowID, firstLine(w.Summary)))
		}
	}
	return out
}

// loadModel parses file without loading its source descriptions: enough
// for ids and names, and fast.
func loadModel(cmd *cobra.Command, file string) *arazzo.Document {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	b, _ := arazzo.Load(ctx, file, arazzo.LoadOptions{SkipSources: true})
	if b == nil {
		return nil
	}
	return b.Document
}

func completionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completionTimeout)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}
