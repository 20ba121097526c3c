package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/engine"
)

// allowPaths holds the --allow-path values (a persistent flag of every
// command that reads documents).
var allowPaths []string

func addPathFlag(root *cobra.Command) {
	root.PersistentFlags().StringArrayVar(&allowPaths, "allow-path", nil,
		"directory tree that source descriptions may be read from, besides the document's own and the current directory (repeatable)")
}

// fileAccess confines the files a document can make the CLI read: its
// source descriptions must lie in the document's directory tree, the
// current directory's tree (where the person running the command keeps
// their workflows and descriptions, often side by side as ../openapi), or a
// tree named with --allow-path. A document from elsewhere cannot read
// /etc/passwd or ~/.ssh through a sourceDescriptions url.
func fileAccess() engine.Option {
	dirs := append([]string(nil), allowPaths...)
	if wd, err := os.Getwd(); err == nil {
		dirs = append(dirs, wd)
	}
	return engine.WithAllowPaths(dirs...)
}
