"""Seed values for the reference tables, loaded by a data migration."""

TECHNICAL_FIELDS = [
    ("electronic-information", "电子信息", "Electronic information"),
    ("artificial-intelligence", "人工智能", "Artificial intelligence"),
    ("new-energy", "新能源", "New energy"),
    ("biomedicine", "生物医药", "Biomedicine"),
    ("aerospace", "航空航天", "Aerospace"),
    ("rail-transit", "轨道交通", "Rail transit"),
    ("new-materials", "新材料", "New materials"),
    ("advanced-manufacturing", "先进制造", "Advanced manufacturing"),
    ("modern-agriculture", "现代农业", "Modern agriculture"),
    ("energy-saving-environment", "节能环保", "Energy saving and environment"),
    ("new-energy-vehicles", "新能源汽车", "New energy vehicles"),
    ("digital-economy", "数字经济", "Digital economy"),
    ("medical-devices", "医疗器械", "Medical devices"),
    ("integrated-circuits", "集成电路", "Integrated circuits"),
]

DISTRICTS = [
    ("jinjiang", "锦江区", "Jinjiang District"),
    ("qingyang", "青羊区", "Qingyang District"),
    ("jinniu", "金牛区", "Jinniu District"),
    ("wuhou", "武侯区", "Wuhou District"),
    ("chenghua", "成华区", "Chenghua District"),
    ("longquanyi", "龙泉驿区", "Longquanyi District"),
    ("qingbaijiang", "青白江区", "Qingbaijiang District"),
    ("xindu", "新都区", "Xindu District"),
    ("wenjiang", "温江区", "Wenjiang District"),
    ("shuangliu", "双流区", "Shuangliu District"),
    ("pidu", "郫都区", "Pidu District"),
    ("xinjin", "新津区", "Xinjin District"),
    ("jianyang", "简阳市", "Jianyang"),
    ("dujiangyan", "都江堰市", "Dujiangyan"),
    ("pengzhou", "彭州市", "Pengzhou"),
    ("qionglai", "邛崃市", "Qionglai"),
    ("chongzhou", "崇州市", "Chongzhou"),
    ("jintang", "金堂县", "Jintang County"),
    ("dayi", "大邑县", "Dayi County"),
    ("pujiang", "蒲江县", "Pujiang County"),
    ("high-tech-zone", "成都高新区", "Chengdu Hi-tech Zone"),
    ("tianfu-new-area", "天府新区", "Tianfu New Area"),
    ("eastern-new-area", "东部新区", "Eastern New Area"),
]

TRANSFER_MODES = [
    ("transfer", "转让", "Assignment"),
    ("license", "许可", "Licence"),
    ("equity", "作价入股", "Equity investment"),
    ("co-development", "合作开发", "Joint development"),
    ("use-first-pay-later", "先使用后付费", "Use first, pay later"),
]


def ensure_reference_data(apps=None) -> None:
    """Create or refresh the reference rows (used by the data migration and by tests that
    start from a flushed database)."""
    for model_name, rows in (
        ("TechnicalField", TECHNICAL_FIELDS),
        ("District", DISTRICTS),
        ("TransferMode", TRANSFER_MODES),
    ):
        if apps is None:
            from django.apps import apps as live_apps

            model = live_apps.get_model("core", model_name)
        else:
            model = apps.get_model("core", model_name)
        for order, (code, name_zh, name_en) in enumerate(rows):
            model.objects.update_or_create(
                code=code, defaults={"name_zh": name_zh, "name_en": name_en, "sort_order": order}
            )
