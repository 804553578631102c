#!/bin/sh
# 三留守人员摸排工作台 离线安装（Linux）：从本文件夹安装到一个新的虚拟环境，不连网。
# 用法：sh install.sh [虚拟环境文件夹，默认 ~/liushou-env]；需要 Python 3.11 或 3.12。
set -eu
here=$(cd "$(dirname "$0")" && pwd)
env_dir=${1:-"$HOME/liushou-env"}
python=${PYTHON:-python3}
"$python" -m venv "$env_dir"
"$env_dir/bin/python" -m pip install --no-index --find-links "$here" "liushou[lab]"
echo "安装完成：$env_dir/bin/liushou demo 运行样本县演示；$env_dir/bin/liushou init 文件夹 为本县建立工作文件夹。"
