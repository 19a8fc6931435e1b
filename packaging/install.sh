#!/usr/bin/env bash
# Install Truceline from this unpacked folder, for you or for everyone on this machine (Linux).
#
#   ./install.sh                     for you: ~/.local/lib/truceline, ~/.local/bin/truceline and the
#                                    menu entry and icons under ~/.local/share
#   sudo ./install.sh --system       for everyone: /opt/truceline, /usr/local/bin/truceline and the
#                                    menu entry and icons under /usr/local/share
#   ./install.sh --uninstall [--system]   remove what the same install put there (uninstall.sh does this)
#   --root DIR                       write everything under DIR instead of / (staging, packagers, tests)
#
# Installing again replaces the previous version. Your data (records, backups, the device key) lives
# in your own data directory and is never touched by installing or uninstalling.
set -euo pipefail

usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }

here=$(cd "$(dirname "$0")" && pwd)
mode=""
action=install
root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --user) mode=user ;;
    --system) mode=system ;;
    --uninstall) action=uninstall ;;
    --root) root=${2:?install.sh: --root needs a directory}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# The id and the program's name come from the desktop entry built from db/core/identity.py.
desktop_files=("$here"/share/applications/*.desktop)
if [ ! -f "${desktop_files[0]}" ]; then
  echo "install.sh: no share/applications/*.desktop beside this script; run it from the unpacked folder" >&2
  exit 2
fi
desktop_file=${desktop_files[0]}
app_id=$(basename "$desktop_file" .desktop)
program=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop_file" | head -n 1)
program=$(basename "$program")

if [ -z "$mode" ]; then
  # uninstall.sh run from the installed folder knows where it was installed.
  if [ "$action" = uninstall ] && [ "$here" = "/opt/$program" ]; then mode=system; else mode=user; fi
fi
if [ "$mode" = system ]; then
  app_path="/opt/$program"
  bin_path="/usr/local/bin"
  share_path="/usr/local/share"
else
  : "${HOME:?install.sh: HOME is not set}"
  app_path="$HOME/.local/lib/$program"
  bin_path="$HOME/.local/bin"
  share_path="${XDG_DATA_HOME:-$HOME/.local/share}"
fi
app_dir="$root$app_path"
bin_dir="$root$bin_path"
share_dir="$root$share_path"

refresh_caches() {
  # Menus and icon themes notice the change sooner with fresh caches; both tools are optional.
  [ -n "$root" ] && return 0
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$share_dir/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$share_dir/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$share_dir/icons/hicolor" 2>/dev/null || true
  fi
}

do_uninstall() {
  rm -f "$share_dir/applications/$app_id.desktop" "$share_dir/metainfo/$app_id.metainfo.xml"
  if [ -d "$share_dir/icons/hicolor" ]; then
    find "$share_dir/icons/hicolor" -path "*/apps/$app_id.*" \( -name "$app_id.png" -o -name "$app_id.svg" \) -delete
  fi
  if [ -L "$bin_dir/$program" ] && [ "$(readlink "$bin_dir/$program")" = "$app_path/$program" ]; then
    rm -f "$bin_dir/$program"
  fi
  # Only a folder that holds the program is removed, never whatever happens to sit at that path.
  if [ -x "$app_dir/$program" ] && [ -d "$app_dir/share/applications" ]; then
    rm -rf "$app_dir"
  elif [ -e "$app_dir" ]; then
    echo "install.sh: left $app_dir alone: it does not look like a $program installation" >&2
  fi
  refresh_caches
  echo "Removed $program from $app_dir (your data directory is kept)."
}

do_install() {
  if [ "$here" = "$app_dir" ]; then
    echo "install.sh: already installed in $app_dir; run install.sh from a newly unpacked folder" >&2
    exit 2
  fi
  if [ ! -x "$here/$program" ]; then
    echo "install.sh: $here/$program is missing or not executable" >&2
    exit 2
  fi
  mkdir -p "$(dirname "$app_dir")" "$bin_dir" "$share_dir/applications" "$share_dir/metainfo"
  # Copy beside the old version, then swap, so a failed copy leaves the old one working.
  rm -rf "$app_dir.new"
  cp -a "$here/." "$app_dir.new/"
  rm -rf "$app_dir"
  mv "$app_dir.new" "$app_dir"
  ln -sfn "$app_path/$program" "$bin_dir/$program"

  # The menu entry starts the program by its full path: ~/.local/bin is not on every session's PATH.
  sed -e "s|^Exec=$program|Exec=$app_path/$program|" -e "s|^TryExec=$program|TryExec=$app_path/$program|" \
    "$desktop_file" >"$share_dir/applications/$app_id.desktop"
  cp "$here/share/metainfo/$app_id.metainfo.xml" "$share_dir/metainfo/"
  (cd "$here/share" && find icons -type f -name "$app_id.*") | while read -r icon; do
    mkdir -p "$share_dir/$(dirname "$icon")"
    cp "$here/share/$icon" "$share_dir/$icon"
  done
  refresh_caches

  echo "Installed $program in $app_dir"
  echo "  command:    $bin_dir/$program"
  echo "  menu entry: $share_dir/applications/$app_id.desktop"
  if [ "$mode" = user ] && [ -z "$root" ] && [[ ":$PATH:" != *":$bin_path:"* ]]; then
    echo "  note: $bin_path is not on your PATH; the menu entry works, or run $bin_dir/$program"
  fi
}

"do_$action"
