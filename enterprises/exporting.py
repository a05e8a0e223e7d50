from django.utils import timezone

NEED_EXPORT_HEADERS = [
    "ID",
    "企业",
    "需求名称",
    "需求描述",
    "关键词",
    "技术领域",
    "最低技术成熟度",
    "合作方式",
    "预算下限(万元)",
    "预算上限(万元)",
    "截止日期",
    "区域",
    "公开范围",
    "揭榜挂帅",
    "榜单奖金(万元)",
    "揭榜截止",
    "状态",
    "创建时间",
]


def need_export_rows(queryset):
    for n in queryset.iterator(chunk_size=1000):
        yield [
            n.pk,
            n.enterprise.name,
            n.title,
            n.description,
            "、".join(n.keywords),
            n.field.name_zh,
            n.required_trl,
            "、".join(m.name_zh for m in n.cooperation_modes.all()),
            n.budget_min,
            n.budget_max,
            n.deadline.isoformat() if n.deadline else "",
            n.region.name_zh if n.region else "",
            n.get_confidentiality_display(),
            "是" if n.is_challenge else "否",
            n.challenge_award,
            n.challenge_closes_on.isoformat() if n.challenge_closes_on else "",
            n.get_status_display(),
            timezone.localtime(n.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
