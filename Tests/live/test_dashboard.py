"""The dashboard in a real browser (headless Chromium): sign in with a key, read the state
matrix of a seeded server, watch a cell change when a deployment arrives, open the page the
GitHub Action links, and see hostile names stay text. Each test saves a screenshot into
SCREENSHOTS (printed at the start), for a person to look at."""

import json
import pathlib
import urllib.parse

import pytest
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SCREENSHOTS, WAIT

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Fixtures" / "client-requests"
XSS = "<img src=x onerror=alert(1)>"


def deploy(server, product, version, environment, status="completed", **fields):
    body = dict(product_name=product, version=version, environment_name=environment, status=status, **fields)
    code, _, answer = server.request("POST", "/deployment-events/", json.dumps(body), key=server.admin_key)
    assert code == 200, answer
    return json.loads(answer)


def screenshot(browser, name):
    path = SCREENSHOTS / f"dashboard-{name}.png"
    browser.save_screenshot(str(path))
    return path


def sign_in(browser, server, key, path="/"):
    browser.delete_all_cookies()
    browser.get(server.url + path)
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda driver: driver.find_elements(By.ID, "key"))
    assert "/ui/login?next=" in browser.current_url
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait.until(lambda driver: "/ui/login" not in driver.current_url)


def cell(browser, product, environment):
    """The product's cell in the environment's column (cells follow the headers' order)."""
    headers = [th.get_attribute("data-environment") for th in browser.find_elements(By.CSS_SELECTOR, "thead th[data-environment]")]
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-product="{product}"]')
    return row.find_elements(By.CSS_SELECTOR, "td")[headers.index(environment)]


@pytest.fixture(scope="module")
def seeded(server):
    """Three products over five environments: one drifting with a failed attempt, one rollback."""
    for environment in ["dev", "staging", "production"]:
        deploy(server, "billing", "2.4.0", environment, deployed_by="ana")
    deploy(server, "checkout", "1.8.0", "staging")
    deploy(server, "checkout", "1.7.2", "production")
    deploy(server, "checkout", "1.8.0", "production", status="failed")
    deploy(server, "search", "3.1.0", "test")
    deploy(server, "search", "3.2.0", "test")
    deploy(server, "search", "3.1.0", "test")  # back to 3.1.0: a rollback
    deploy(server, "search", "3.2.0", "qa-smoke", status="started")
    return server


def test_matrix_after_signing_in(seeded, browser):
    sign_in(browser, seeded, seeded.admin_key)
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "table.matrix"))
    headers = [th.text.split("\n")[0] for th in browser.find_elements(By.CSS_SELECTOR, "thead th[data-environment]")]
    # dev → test → staging → production, by type, then by name within a type (qa-smoke is a test environment).
    assert headers == ["dev", "qa-smoke", "test", "staging", "production"]
    assert "2.4.0" in cell(browser, "billing", "production").text
    assert "completed" in cell(browser, "billing", "production").text
    checkout = cell(browser, "checkout", "production").text
    assert "1.7.2" in checkout and "1.8.0" in checkout and "failed" in checkout
    assert "rollback" in cell(browser, "search", "test").text
    drifting = {tr.get_attribute("data-product") for tr in browser.find_elements(By.CSS_SELECTOR, "tr.drift")}
    # checkout runs 1.8.0 in staging and 1.7.2 in production; search runs only 3.1.0 (qa-smoke is still starting).
    assert drifting == {"checkout"}
    wait.until(lambda driver: "Live" in driver.find_element(By.CSS_SELECTOR, ".live").text)
    screenshot(browser, "matrix")


def test_cell_changes_without_a_reload(seeded, browser):
    sign_in(browser, seeded, seeded.admin_key)
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda driver: "on" in driver.find_element(By.CSS_SELECTOR, ".live").get_attribute("class"))
    browser.execute_script("window.versionerMarker = 'same page'")
    deploy(seeded, "billing", "2.5.0", "production", deployed_by="bo")
    # The row is swapped for a new one: an element found just before may be gone.
    WebDriverWait(browser, WAIT, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda driver: "2.5.0" in cell(driver, "billing", "production").text)
    assert browser.execute_script("return window.versionerMarker") == "same page"
    assert "bo" in cell(browser, "billing", "production").text
    screenshot(browser, "matrix-live-update")


def test_the_page_the_github_action_links(seeded, browser):
    fixture = json.loads((FIXTURES / "action-deployment.json").read_text())
    code, _, answer = seeded.request("POST", fixture["path"], json.dumps(fixture["body"]), key=seeded.admin_key)
    assert code == 200
    deployment = json.loads(answer)
    path = "/manage/deployments?view=" + deployment["id"]
    sign_in(browser, seeded, seeded.admin_key, path)
    assert browser.current_url == seeded.url + path
    text = browser.find_element(By.TAG_NAME, "main").text
    for expected in ["my-service", "1.2.3", "production", "octocat", "completed", "deployment to production"]:
        assert expected in text
    commit = browser.find_element(By.CSS_SELECTOR, 'a[href^="https://github.com/myorg/my-service/commit/"]')
    assert commit.text == fixture["body"]["scm_sha"]
    assert browser.find_element(By.LINK_TEXT, fixture["body"]["deploy_url"])
    screenshot(browser, "deployment")


def test_a_hostile_product_name_stays_text(seeded, browser):
    deploy(seeded, XSS, "<script>alert(2)</script>", "production")
    sign_in(browser, seeded, seeded.admin_key, "/?product=" + urllib.parse.quote("<img"))
    row = browser.find_element(By.CSS_SELECTOR, "tbody tr")
    assert row.get_attribute("data-product") == XSS
    assert XSS in row.text
    assert not browser.find_elements(By.CSS_SELECTOR, "main img")
    assert not browser.find_elements(By.CSS_SELECTOR, "main script")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    screenshot(browser, "hostile-name")


def test_other_pages_and_no_other_origin(seeded, browser):
    sign_in(browser, seeded, seeded.admin_key, "/ui/products/checkout")
    assert "Deployment history" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")
    screenshot(browser, "product")
    for path, name in [("/ui/insights", "insights"), ("/ui/environments/production", "environment"),
                       ("/ui/search?q=3.1.0", "search")]:
        browser.get(seeded.url + path)
        assert browser.find_element(By.TAG_NAME, "h1").text
        screenshot(browser, name)
        resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert resources, path
        assert all(url.startswith(seeded.url) for url in resources), resources


def test_a_revoked_keys_session_is_sent_to_sign_in(seeded, browser):
    code, _, answer = seeded.request("POST", "/api-keys/", json.dumps({"name": "wall", "scopes": ["read"]}),
                                     key=seeded.admin_key)
    issued = json.loads(answer)
    sign_in(browser, seeded, issued["key"])
    assert browser.find_elements(By.CSS_SELECTOR, "table.matrix")
    code, _, _ = seeded.request("DELETE", f"/api-keys/{issued['id']}", key=seeded.admin_key)
    assert code < 300
    browser.get(seeded.url + "/ui/products")
    assert "/ui/login?next=" in browser.current_url
    screenshot(browser, "signed-out")


def test_the_rules_page(seeded, browser):
    """A blocking rule and a report-only one on a product of their own: the page lists both,
    the refusal and the warning, with words for each state, and hostile names stay text."""
    def rule(body):
        code, _, answer = seeded.request("POST", "/deployment-rules/", json.dumps(body), key=seeded.admin_key)
        assert code == 201, answer
    rule({"name": "Always closed " + XSS, "type": "schedule", "products": ["ruled"],
          "schedule": {"timezone": "Europe/Berlin", "reason": "Change freeze",
                       "windows": [{"start": "00:00", "end": "00:00"}]}})
    rule({"name": "Staging first", "type": "flow", "mode": "report_only", "products": ["ruled"],
          "environment_types": ["production"], "flow": {"prerequisites": ["staging"], "soak_minutes": 60}})
    body = dict(product_name="ruled", version="1.0.0", environment_name="production", status="started")
    code, _, answer = seeded.request("POST", "/deployment-events/", json.dumps(body), key=seeded.admin_key)
    assert code == 423, answer
    body["skip_preflight_checks"] = True
    code, _, answer = seeded.request("POST", "/deployment-events/", json.dumps(body), key=seeded.admin_key)
    assert code == 200, answer
    sign_in(browser, seeded, seeded.admin_key, "/ui/rules")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Always closed " + XSS in main
    assert "Staging first" in main and "report only" in main
    assert "Blocked" in main and "Warned" in main and "Skipped" in main
    assert not browser.find_elements(By.CSS_SELECTOR, "main img")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    screenshot(browser, "rules")
