"""A run's settings are read from one YAML and checked in full before anything runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from liushou_core.batch.settings import DEFAULT_TIMEOUT_S, RunConfig, default_school_term, load_run_config
from liushou_core.errors import ConfigError
from liushou_core.paths import DEFAULT_PARAMS_DIR


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "returns").mkdir()
    return tmp_path


def _write(folder: Path, **settings: object) -> Path:
    base: dict[str, object] = {
        "county": "大英县",
        "reference_date": "2017-12-31",
        "payroll_month": "2018-01",
        "inputs": "returns",
        "output": "run",
    }
    base.update(settings)
    data = {k: v for k, v in base.items() if v is not None}
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_complete_file_gives_absolute_paths_and_defaults(workdir: Path) -> None:
    config = load_run_config(_write(workdir), base=workdir)
    assert config.county == "大英县"
    assert config.reference_date == date(2017, 12, 31)
    assert config.payroll_month == "2018-01"
    assert config.inputs == ((workdir / "returns").resolve(),)
    assert config.output == (workdir / "run").resolve()
    assert config.clean_dir == config.output / "clean"
    assert config.timeout == DEFAULT_TIMEOUT_S
    assert config.previous is None and config.jobs is None


def test_unquoted_yaml_dates_are_accepted(workdir: Path) -> None:
    path = workdir / "run.yaml"
    path.write_text(
        "county: 大英县\nreference_date: 2017-12-31\npayroll_month: 2018-01\ninputs: returns\noutput: run\n",
        encoding="utf-8",
    )
    config = load_run_config(path, base=workdir)
    assert config.reference_date == date(2017, 12, 31)
    assert config.payroll_month == "2018-01"


def test_the_sample_params_file_is_valid_once_the_sample_exists(tmp_path: Path) -> None:
    (tmp_path / "outputs" / "demo" / "sample").mkdir(parents=True)
    config = load_run_config(DEFAULT_PARAMS_DIR / "runs" / "sample.yaml", base=tmp_path)
    assert config.reference_date == date(2017, 12, 31)
    assert config.payroll_month == "2018-01"
    assert config.output == (tmp_path / "outputs" / "demo" / "run").resolve()


def test_every_problem_is_reported_at_once_with_the_file_and_the_key(workdir: Path) -> None:
    path = _write(
        workdir, county=None, reference_date="2017/12/31", payroll_month="2018-13", jobs=0, timeout="long"
    )
    with pytest.raises(ConfigError) as err:
        load_run_config(path, base=workdir)
    message = str(err.value)
    assert str(path) in message
    for key in ("county", "reference_date", "payroll_month", "jobs", "timeout"):
        assert f"键 {key}" in message


def test_a_missing_input_folder_is_named(workdir: Path) -> None:
    with pytest.raises(ConfigError, match="键 inputs：找不到"):
        load_run_config(_write(workdir, inputs="no-such-folder"), base=workdir)


def test_a_misspelt_key_is_an_error_not_silently_ignored(workdir: Path) -> None:
    with pytest.raises(ConfigError, match="键 payrol_month：不认识的键"):
        load_run_config(_write(workdir, payrol_month="2018-01"), base=workdir)


def test_the_output_folder_may_not_contain_the_returns(workdir: Path) -> None:
    with pytest.raises(ConfigError, match="键 output"):
        load_run_config(_write(workdir, output="."), base=workdir)


def test_a_file_that_is_not_a_mapping_is_refused(workdir: Path) -> None:
    path = workdir / "run.yaml"
    path.write_text("- county\n- 大英县\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="键: 值"):
        load_run_config(path)


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="找不到运行参数文件"):
        load_run_config(tmp_path / "nope.yaml")


def test_the_command_line_job_count_wins_over_the_file(workdir: Path) -> None:
    config = load_run_config(_write(workdir, jobs=3), base=workdir)
    assert config.effective_jobs() == 3
    assert config.effective_jobs(1) == 1


def test_notebooks_receive_plain_string_parameters(workdir: Path) -> None:
    config: RunConfig = load_run_config(_write(workdir), base=workdir)
    params = config.notebook_parameters()
    assert params["reference_date"] == "2017-12-31"
    assert all(isinstance(v, str) for v in params.values())
    assert config.to_dict()["inputs"] == [str((workdir / "returns").resolve())]


@pytest.mark.parametrize(
    ("month", "term"),
    [
        ("2018-01", "2017秋季"),  # January and February still belong to the previous autumn term
        ("2018-02", "2017秋季"),
        ("2018-03", "2018春季"),
        ("2018-08", "2018春季"),
        ("2018-09", "2018秋季"),
        ("2018-12", "2018秋季"),
    ],
)
def test_without_a_school_term_the_education_list_is_for_the_term_of_the_payroll_month(
    workdir: Path, month: str, term: str
) -> None:
    config = load_run_config(_write(workdir, payroll_month=month), base=workdir)
    assert config.school_term == term
    assert config.notebook_parameters()["school_term"] == term


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("2018春季", "2018春季"),
        ("2018年春季学期", "2018春季"),
        ("2017秋", "2017秋季"),
        ("2019-09-01", "2019-09-01"),
    ],
)
def test_a_school_term_can_be_written_several_ways_and_is_kept_in_one(
    workdir: Path, given: str, kept: str
) -> None:
    assert load_run_config(_write(workdir, school_term=given), base=workdir).school_term == kept


def test_an_unquoted_yaml_date_is_accepted_as_the_start_of_a_term(workdir: Path) -> None:
    path = _write(workdir)
    path.write_text(path.read_text(encoding="utf-8") + "school_term: 2019-09-01\n", encoding="utf-8")
    assert load_run_config(path, base=workdir).school_term == "2019-09-01"


def test_the_checking_date_defaults_to_the_reference_date_and_may_be_later(workdir: Path) -> None:
    config = load_run_config(_write(workdir), base=workdir)
    assert config.as_of == date(2017, 12, 31)
    later = load_run_config(_write(workdir, as_of="2018-03-15"), base=workdir)
    assert later.as_of == date(2018, 3, 15)
    assert later.notebook_parameters()["as_of"] == "2018-03-15"


def test_a_checking_date_before_the_reference_date_or_a_bad_term_is_refused_in_chinese(workdir: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_run_config(_write(workdir, as_of="2017-06-30", school_term="2018夏季"), base=workdir)
    message = str(err.value)
    assert "键 as_of：核查日 2017-06-30 早于认定基准日 2017-12-31" in message
    assert "键 school_term：学期应写作" in message and "2018夏季" in message
    with pytest.raises(ConfigError, match="键 as_of：应为 YYYY-MM-DD"):
        load_run_config(_write(workdir, as_of="2018/1/1"), base=workdir)


def test_the_sample_runs_school_term_is_the_one_its_payroll_month_falls_in(tmp_path: Path) -> None:
    (tmp_path / "outputs" / "demo" / "sample").mkdir(parents=True)
    config = load_run_config(DEFAULT_PARAMS_DIR / "runs" / "sample.yaml", base=tmp_path)
    assert config.school_term == default_school_term(config.payroll_month) == "2017秋季"
    assert config.as_of == config.reference_date


def test_the_returned_lists_may_be_collected_in_a_folder_but_not_inside_the_output(workdir: Path) -> None:
    (workdir / "回收清单").mkdir()
    config = load_run_config(_write(workdir, decisions="回收清单"), base=workdir)
    assert config.decisions == (workdir / "回收清单").resolve()
    (workdir / "run" / "clean" / "问题数据清单").mkdir(parents=True)
    with pytest.raises(ConfigError, match="键 decisions：交回的问题数据清单不能放在输出文件夹内"):
        load_run_config(_write(workdir, decisions="run/clean/问题数据清单"), base=workdir)
