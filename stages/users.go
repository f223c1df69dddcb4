package stages

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/osbuildkit/osbuildkit/manifest"
)

// org.osbuild.users: add users, or modify existing ones, with the tree's
// own useradd/usermod (the tree is the sandbox's root), as osbuild does:
// "uid" may repeat another's (useradd -o); "home" "" makes no home
// directory. Without "home" the home directory is made (Debian's useradd
// makes none by default; Fedora's, which osbuild's users get, does).
// "password" is a crypt(3) hash; "key"/"keys" go to ~/.ssh/authorized_keys
// (0600, in a 0700 ~/.ssh, owned by the user); "expiredate" is in days
// since 1970-01-01; "force_password_reset" expires the password (passwd
// --expire). An existing user keeps its uid: asking for another fails.
func init() {
	Define(Definition[usersOptions]{Type: "org.osbuild.users", Plan: planUsers, Run: runUsers})
}

// planUsers refuses, before the build, what useradd refuses when the stage
// runs (in osbuild as here): a relative home directory.
func planUsers(c *Context, o *usersOptions) (*Plan, error) {
	for _, name := range slices.Sorted(maps.Keys(o.Users)) {
		if h := o.Users[name].Home; h != nil && *h != "" && !strings.HasPrefix(*h, "/") {
			return nil, c.OptionError(manifest.Path{"users", name, "home"},
				"%q is relative: useradd refuses it (osbuild's stage fails when it runs); give an absolute path, or \"\" for no home directory", *h)
		}
	}
	return planInTree(c, o)
}

type user struct {
	UID                *float64 `json:"uid"`
	GID                *float64 `json:"gid"`
	Groups             []string `json:"groups"`
	Description        *string  `json:"description"`
	Home               *string  `json:"home"`
	Shell              string   `json:"shell"`
	Password           *string  `json:"password"`
	Key                string   `json:"key"`
	Keys               []string `json:"keys"`
	ExpireDate         *int64   `json:"expiredate"`
	ForcePasswordReset bool     `json:"force_password_reset"`
}

// UnmarshalJSON ignores keys osbuild's schema lets through unchecked.
func (u *user) UnmarshalJSON(b []byte) error {
	type plain user
	return json.Unmarshal(b, (*plain)(u))
}

type usersOptions struct {
	Users map[string]user `json:"users"`
}

func runUsers(rt *Runtime, o *usersOptions) error {
	for _, name := range slices.Sorted(maps.Keys(o.Users)) {
		if err := addUser(rt, name, o.Users[name]); err != nil {
			return fmt.Errorf("user %s: %w", name, err)
		}
	}
	return nil
}

// userArgs are the arguments useradd and usermod share.
func userArgs(u user) []string {
	var args []string
	if u.GID != nil {
		args = append(args, "-g", strconv.FormatFloat(*u.GID, 'f', -1, 64))
	}
	if len(u.Groups) > 0 {
		args = append(args, "-G", strings.Join(u.Groups, ","))
	}
	if u.Description != nil {
		args = append(args, "-c", *u.Description)
	}
	if u.Shell != "" {
		args = append(args, "-s", u.Shell)
	}
	if u.Password != nil {
		args = append(args, "-p", *u.Password)
	}
	if u.ExpireDate != nil {
		args = append(args, "-e", time.Unix(*u.ExpireDate*86400, 0).UTC().Format("2006-01-02"))
	}
	return args
}

func addUser(rt *Runtime, name string, u user) error {
	entry, err := dbEntry(rt, "/etc/passwd", name)
	if err != nil && err != errNoEntry {
		return err
	}
	uid := ""
	if u.UID != nil {
		uid = strconv.FormatFloat(*u.UID, 'f', -1, 64)
	}
	args := userArgs(u)
	switch {
	case entry != nil && uid != "" && entry[2] != uid:
		return fmt.Errorf("the tree has user %s with uid %s: an existing user's uid cannot change to %s", name, entry[2], uid)
	case entry != nil:
		if u.Home != nil && *u.Home != "" {
			args = append(args, "-d", *u.Home, "-m")
		}
		if len(args) > 0 {
			if err := rt.Run("usermod", append(args, name)...); err != nil {
				return err
			}
		}
	default:
		if uid != "" {
			args = append(args, "-u", uid, "-o")
		}
		if u.GID == nil {
			args = append(args, "-U")
		}
		switch {
		case u.Home == nil:
			args = append(args, "-m")
		case *u.Home == "":
			args = append(args, "-M")
		default:
			args = append(args, "-d", *u.Home, "-m")
		}
		if err := rt.Run("useradd", append(args, name)...); err != nil {
			return err
		}
	}
	if u.ForcePasswordReset {
		if err := rt.Run("passwd", "--expire", name); err != nil {
			return err
		}
	}
	keys := u.Keys
	if u.Key != "" {
		keys = append([]string{u.Key}, keys...)
	}
	if len(keys) == 0 {
		return nil
	}
	return writeAuthorizedKeys(rt, name, keys)
}

// writeAuthorizedKeys installs SSH keys for a user, resolving the home
// directory inside the tree.
func writeAuthorizedKeys(rt *Runtime, name string, keys []string) error {
	fields, err := dbEntry(rt, "/etc/passwd", name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(fields[2])
	gid, _ := strconv.Atoi(fields[3])
	sshDir, err := rt.Path(filepath.Join(fields[5], ".ssh"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		return err
	}
	if err := os.Lchown(sshDir, uid, gid); err != nil {
		return err
	}
	// sshDir is resolved inside the tree; an authorized_keys that is a
	// symlink is replaced by the file, never followed.
	file := filepath.Join(sshDir, "authorized_keys")
	if fi, err := os.Lstat(file); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if err := os.Remove(file); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s's authorized_keys: %w", name, err)
	}
	if _, err := f.WriteString(strings.Join(keys, "\n") + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Lchown(file, uid, gid)
}
