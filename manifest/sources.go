package manifest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/osbuildkit/osbuildkit/schemas"
)

// loadSources validates and decodes the "sources" object. Version 1's
// "org.osbuild.files" is osbuild's old name of "org.osbuild.curl".
func loadSources(p *problems, raw any, at Path) Sources {
	src := Sources{Curl: map[string]CurlItem{}, Inline: map[string]InlineItem{}}
	all := obj(raw)
	for _, typ := range sortedKeys(all) {
		desc := obj(all[typ])
		sat := at.Key(typ)
		name := typ
		if name == "org.osbuild.files" {
			name = "org.osbuild.curl"
		}
		checkModule(p, schemas.Source, name, desc, sat, sat)
		switch name {
		case "org.osbuild.curl":
			key := "items"
			if _, ok := desc["items"]; !ok {
				key = "urls"
			}
			items := obj(desc[key])
			for _, sum := range sortedKeys(items) {
				item := CurlItem{Path: sat.Key(key).Key(sum)}
				switch v := items[sum].(type) {
				case string:
					item.URL = v
				case map[string]any:
					item.URL = str(v["url"])
					item.Insecure, _ = v["insecure"].(bool)
				}
				src.Curl[sum] = item
			}
		case "org.osbuild.inline":
			items := obj(desc["items"])
			for _, sum := range sortedKeys(items) {
				iat := sat.Key("items").Key(sum)
				it := obj(items[sum])
				enc := str(it["encoding"])
				data, err := decodeBase64(str(it["data"]))
				if err != nil {
					p.addf(iat.Key("data"), "the data is not valid base64 (osbuild fails on it when it fetches the sources): %v", err)
					continue
				}
				if enc == "base64" {
					checkInlineSum(p, sum, data, iat)
				}
				src.Inline[sum] = InlineItem{Encoding: enc, Data: data, Path: iat}
			}
		}
	}
	return src
}

func checkInlineSum(p *problems, sum string, data []byte, at Path) {
	algo, want, _ := strings.Cut(sum, ":")
	if algo != "sha256" {
		return
	}
	got := sha256.Sum256(data)
	if hex.EncodeToString(got[:]) != want {
		p.addf(at, "the data's checksum is sha256:%s, not %s", hex.EncodeToString(got[:]), sum)
	}
}

// Has reports whether a source provides the item with that checksum.
func (s Sources) Has(sum string) bool {
	_, curl := s.Curl[sum]
	_, inline := s.Inline[sum]
	return curl || inline
}

func sortReferences(refs []Reference) {
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].ID < refs[j].ID })
}

// decodeBase64 decodes as Python's base64.b64decode does by default:
// characters outside the alphabet (line breaks, spaces) are skipped.
func decodeBase64(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '+', r == '/', r == '=':
			return r
		}
		return -1
	}, s)
	return base64.StdEncoding.DecodeString(clean)
}
