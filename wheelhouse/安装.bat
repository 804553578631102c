@echo off
rem 三留守人员摸排工作台 离线安装：从本文件夹安装，不连网。需要已安装 Python 3.11 或 3.12（64 位）。
setlocal
cd /d "%~dp0"
where py >nul 2>nul
if errorlevel 1 (
  echo 没有找到 Python。请先安装 Python 3.11 或 3.12（64 位），安装时勾选“Add python.exe to PATH”。
  pause
  exit /b 1
)
echo 正在安装，请稍候（几分钟）……
py -m pip install --user --no-index --find-links "%~dp0." "liushou[lab]"
if errorlevel 1 (
  echo 安装没有成功：请把上面的信息发给维护人员。
  pause
  exit /b 1
)
echo.
echo 安装完成。试运行样本县演示（结果在“文档”文件夹的 liushou-demo 中）：
echo     cd %%USERPROFILE%%\Documents
echo     py -m liushou_core demo
echo 为本县建立工作文件夹：py -m liushou_core init 大英县2018
pause
